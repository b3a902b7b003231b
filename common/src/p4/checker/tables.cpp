// Tables: keys and match kinds, the actions list, default actions and const entries.
#include <set>

#include "checker_impl.hpp"

namespace chima::p4::checking {

void Checker::check_table(Decl& t) {
    Symbol s;
    s.kind = SymKind::Table;
    s.type = Type{Type::Kind::Table, 0, &t};
    s.decl = &t;
    subset_.table_properties(t);
    int lpm = 0;
    for (auto& k : t.keys) {
        check_expr(*k.expr, nullptr);
        const Symbol* mk = lookup(k.match_kind);
        if (!mk || mk->kind != SymKind::MatchKindMember) {
            err(k.match_loc, DiagCode::MatchKind, "unknown match kind '" + k.match_kind + "'");
        } else {
            subset_.match_kind(k);
        }
        if (k.match_kind == "lpm" && ++lpm == 2)
            err(k.match_loc, DiagCode::SecondLpmKey, "a table can have at most one lpm key");
        const Type& kt = k.expr->type;
        subset_.key_type(k);
        if (kt.kind == Type::Kind::InfInt)
            err(k.loc, DiagCode::KeyType, "a table key needs a width");
    }
    std::set<std::string> listed;
    for (auto& a : t.actions) {
        const Symbol* as = lookup(a.name);
        if (!as || as->kind != SymKind::Action) {
            err(a.loc, DiagCode::UnknownName, "unknown action '" + a.name + "'");
            continue;
        }
        a.decl = as->decl;
        if (!listed.insert(a.name).second)
            err(a.loc, DiagCode::Duplicate, "action '" + a.name + "' is listed twice");
        subset_.table_action_arguments(a);
    }
    if (t.actions.empty())
        err(t.loc, DiagCode::NoActions, "table '" + t.name + "' has no actions");
    if (t.default_action)
        check_action_use(t, *t.default_action, "default action");
    for (auto& e : t.entries) {
        if (e.keys.size() != t.keys.size()) {
            err(e.loc, DiagCode::EntryKeyCount,
                "entry has " + std::to_string(e.keys.size()) + " key values, table '" + t.name +
                    "' has " + std::to_string(t.keys.size()) + " keys");
        } else {
            for (size_t i = 0; i < e.keys.size(); ++i)
                check_entry_key(t.keys[i], *e.keys[i]);
        }
        check_action_use(t, *e.action, "entry action");
    }
    if (t.size) {
        check_expr(*t.size, nullptr);
        if (!t.size->is_const || !t.size->type.is_integral() ||
            static_cast<int64_t>(t.size->value) <= 0 || t.size->value > (1u << 24))
            err(t.size->loc, DiagCode::TableSize, "table size must be a constant in 1..16777216");
    }
    define(t.name, t.loc, s);
}

void Checker::check_entry_key(const KeyElement& k, Expr& v) {
    const Type& kt = k.expr->type;
    if (v.kind == ExprKind::Default) {
        if (k.match_kind == "exact")
            err(v.loc, DiagCode::ExactKeyPattern, "an exact key cannot be a wildcard");
        return;
    }
    if (v.kind == ExprKind::Range) {
        subset_.range_keyset(v.loc);  // whole programs: not checked further
        return;
    }
    if (v.kind == ExprKind::Mask) {
        if (k.match_kind == "exact") {
            err(v.loc, DiagCode::ExactKeyPattern, "an exact key cannot have a mask");
            return;
        }
        for (int i = 0; i < 2; ++i) {
            check_expr(*v.kids[i], &kt);
            coerce(*v.kids[i], kt, "key value");
            if (!v.kids[i]->is_const)
                err(v.kids[i]->loc, DiagCode::NotConstant, "entry keys must be constants");
        }
        if (k.match_kind == "lpm" && v.kids[1]->is_const && kt.is_scalar_int()) {
            uint64_t m = v.kids[1]->value & mask_of(kt.width);
            uint64_t inv = ~m & mask_of(kt.width);
            if ((inv & (inv + 1)) != 0)
                err(v.kids[1]->loc, DiagCode::LpmMask,
                    "an lpm mask must be a prefix (ones, then zeros)");
        }
        return;
    }
    check_expr(v, &kt);
    coerce(v, kt, "key value");
    if (!v.is_const && v.type.kind != Type::Kind::Unknown)
        err(v.loc, DiagCode::NotConstant, "entry keys must be constants");
}

// default_action = a(args) / entry action: the action must be in the table's list and
// its control-plane arguments must be constants of the parameter types.
void Checker::check_action_use(const Decl& t, Expr& e, const std::string& what) {
    Expr* callee = &e;
    std::vector<Expr*> args;
    if (e.kind == ExprKind::Call) {
        callee = e.kids[0].get();
        for (size_t i = 1; i < e.kids.size(); ++i)
            args.push_back(e.kids[i].get());
    }
    if (callee->kind != ExprKind::Name) {
        err(e.loc, DiagCode::ActionNotInTable, what + " must name an action");
        return;
    }
    const ActionRef* ref = nullptr;
    for (const auto& a : t.actions)
        if (a.name == callee->name)
            ref = &a;
    if (!ref || !ref->decl) {
        err(callee->loc, DiagCode::ActionNotInTable,
            what + " '" + callee->name + "' is not in the actions of table '" + t.name + "'");
        return;
    }
    callee->decl = ref->decl;
    callee->sym = SymKind::Action;
    e.decl = ref->decl;
    std::vector<const Param*> cp;
    for (const auto& p : ref->decl->params)
        if (p.direction.empty())
            cp.push_back(&p);
    if (args.size() != cp.size()) {
        err(e.loc, DiagCode::ArgumentCount,
            "action '" + callee->name + "' takes " + std::to_string(cp.size()) +
                " arguments, got " + std::to_string(args.size()));
        return;
    }
    for (size_t i = 0; i < args.size(); ++i) {
        Type pt = resolve(cp[i]->type);
        check_expr(*args[i], &pt);
        coerce(*args[i], pt, "parameter '" + cp[i]->name + "'");
        if (!args[i]->is_const && args[i]->type.kind != Type::Kind::Unknown)
            err(args[i]->loc, DiagCode::NotConstant,
                "action arguments of a table must be constants");
    }
}

}  // namespace chima::p4::checking
