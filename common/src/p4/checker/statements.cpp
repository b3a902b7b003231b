// Statements: blocks, assignments, calls, if and switch.
#include <set>

#include "checker_impl.hpp"

namespace chima::p4::checking {

namespace {

// What an assignment target is, for the message when it is not assignable.
std::string describe_target(const Expr& e) {
    if (e.sym == SymKind::Const)
        return "constant '" + e.name + "'";
    if (e.sym == SymKind::ActionParam)
        return "action parameter '" + e.name + "'";
    if (e.sym == SymKind::Param)
        return "'in' parameter '" + e.name + "'";
    return "this expression";
}

}  // namespace

void Checker::check_stmt(Stmt& s) {
    switch (s.kind) {
        case StmtKind::Block:
            push();
            for (auto& c : s.stmts)
                check_stmt(*c);
            pop();
            break;
        case StmtKind::Empty:
            break;
        case StmtKind::Exit:
            break;
        case StmtKind::Return:
            if (s.rhs)
                err(s.loc, DiagCode::ReturnWithValue, "return with a value is not allowed here");
            break;
        case StmtKind::Var:
            check_var(*s.decl);
            break;
        case StmtKind::Const:
            check_const(*s.decl);
            break;
        case StmtKind::Assign: {
            check_expr(*s.lhs, nullptr);
            if (!s.lhs->is_lvalue && s.lhs->type.kind != Type::Kind::Unknown)
                err(start_of(*s.lhs), DiagCode::NotAssignable,
                    "cannot assign to " + describe_target(*s.lhs));
            check_expr(*s.rhs, &s.lhs->type);
            coerce(*s.rhs, s.lhs->type, "assignment");
            subset_.whole_assignment(start_of(*s.lhs), s.lhs->type);
            break;
        }
        case StmtKind::Call:
            check_expr(*s.rhs, nullptr);
            if (s.rhs->kind != ExprKind::Call)
                err(s.rhs->loc, DiagCode::Syntax, "an expression statement must be a call");
            break;
        case StmtKind::If:
            check_expr(*s.rhs, nullptr);
            if (s.rhs->type.kind != Type::Kind::Bool && s.rhs->type.kind != Type::Kind::Unknown)
                err(start_of(*s.rhs), DiagCode::ConditionNotBool,
                    "condition must be bool, not " + s.rhs->type.str());
            check_stmt(*s.then_s);
            if (s.else_s)
                check_stmt(*s.else_s);
            break;
        case StmtKind::Switch:
            check_switch(s);
            break;
        case StmtKind::Transition:
            err(s.loc, DiagCode::Syntax, "transition is only allowed in a parser state");
            break;
    }
}

void Checker::check_switch(Stmt& s) {
    check_expr(*s.rhs, nullptr);
    const Decl* table = nullptr;
    if (s.rhs->type.kind == Type::Kind::Action && s.rhs->sym == SymKind::Method) {
        table = s.rhs->decl;
    } else if (s.rhs->type.kind != Type::Kind::Unknown) {
        // Whole programs may switch on an integer; a function only on action_run.
        if (subset_.active() || !s.rhs->type.is_integral()) {
            err(start_of(*s.rhs), DiagCode::SwitchSubject, "switch needs table.apply().action_run");
            return;
        }
    }
    std::set<std::string> seen;
    for (size_t i = 0; i < s.cases.size(); ++i) {
        auto& c = s.cases[i];
        for (auto& [label, loc] : c.labels) {
            if (!seen.insert(label).second)
                err(loc, DiagCode::Duplicate, "duplicate switch label '" + label + "'");
            if (label == "default") {
                if (i + 1 != s.cases.size())
                    err(loc, DiagCode::SwitchLabels, "the default label must be last");
                continue;
            }
            if (table) {
                bool found = false;
                for (const auto& a : table->actions)
                    found |= a.name == label;
                if (!found)
                    err(loc, DiagCode::NotTableAction,
                        "'" + label + "' is not an action of table '" + table->name + "'");
            }
        }
        if (c.body)
            check_stmt(*c.body);
        if (!c.body && i + 1 == s.cases.size())
            err(c.loc, DiagCode::SwitchLabels, "the last switch label needs a block");
    }
}

}  // namespace chima::p4::checking
