// Parser blocks of whole programs: states, select transitions and their keysets.
#include <algorithm>
#include <set>

#include "checker_impl.hpp"

namespace chima::p4::checking {

void Checker::check_parser(Decl& d) {
    push();
    declare_params(d.params, false);
    declare_params(d.ctor_params, false);
    std::set<std::string> states = {"accept", "reject"};
    for (auto& l : d.locals)
        if (l->kind == DeclKind::State)
            states.insert(l->name);
    for (auto& l : d.locals) {
        if (l->kind == DeclKind::State) {
            push();
            for (auto& st : l->body->stmts) {
                if (st->kind == StmtKind::Transition) {
                    check_transition(*st, states);
                } else {
                    check_stmt(*st);
                }
            }
            pop();
        } else if (l->kind == DeclKind::Var) {
            check_var(*l);
        } else if (l->kind == DeclKind::Const) {
            check_const(*l);
        } else if (l->kind == DeclKind::Instance) {
            check_instance(*l, false);
        } else {
            err(l->loc, DiagCode::DeclarationNotAllowed,
                kind_name(*l) + " declarations are not allowed in a parser");
        }
    }
    if (!states.count("start") || std::none_of(d.locals.begin(), d.locals.end(), [](auto& l) {
            return l->kind == DeclKind::State && l->name == "start";
        }))
        err(d.loc, DiagCode::UnknownName, "parser '" + d.name + "' has no 'start' state");
    pop();
}

void Checker::check_transition(Stmt& t, const std::set<std::string>& states) {
    auto check_target = [&](const std::string& n, const Loc& l) {
        if (!states.count(n))
            err(l, DiagCode::UnknownName, "unknown parser state '" + n + "'");
    };
    if (!t.rhs) {
        check_target(t.target, t.loc);
        return;
    }
    check_expr(*t.rhs, nullptr);
    for (auto& [ks, target] : t.select_cases) {
        check_keyset_loose(*ks);
        check_target(target.first, target.second);
    }
}

void Checker::check_keyset_loose(Expr& e) {
    if (e.kind == ExprKind::Default)
        return;
    if (e.kind == ExprKind::List) {
        for (auto& k : e.kids)
            check_keyset_loose(*k);
        return;
    }
    if (e.kind == ExprKind::Mask || e.kind == ExprKind::Range) {
        check_expr(*e.kids[0], nullptr);
        check_expr(*e.kids[1], nullptr);
        return;
    }
    check_expr(e, nullptr);
}

}  // namespace chima::p4::checking
