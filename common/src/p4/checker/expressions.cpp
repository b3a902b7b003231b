// Expressions: literals, names, members, slices, casts; the operators are in
// operators.cpp and calls in calls.cpp.
#include "checker_impl.hpp"

namespace chima::p4::checking {

Loc start_of(const Expr& e) {
    switch (e.kind) {
        case ExprKind::Member:
        case ExprKind::Index:
        case ExprKind::Slice:
        case ExprKind::Call:
        case ExprKind::Binary:
        case ExprKind::Ternary:
        case ExprKind::Mask:
        case ExprKind::Range:
            return e.kids.empty() ? e.loc : start_of(*e.kids[0]);
        default:
            return e.loc;
    }
}

namespace {

const Field* find_field(const Decl* d, const std::string& name) {
    if (!d)
        return nullptr;
    for (const auto& f : d->fields)
        if (f.name == name)
            return &f;
    return nullptr;
}

}  // namespace

void Checker::check_expr(Expr& e, const Type* expected) {
    switch (e.kind) {
        case ExprKind::Int: {
            e.is_const = true;
            if (e.lit_width < 0) {
                e.type = Type{Type::Kind::InfInt};
            } else {
                if (e.lit_width == 0 || subset_.literal_too_wide(e.lit_width)) {
                    err(e.loc, DiagCode::WidthTooLarge, "literal width must be in 1..64");
                    e.type = Type{};
                    return;
                }
                e.type = e.lit_signed ? Type::sint(e.lit_width) : Type::bit(e.lit_width);
                bool fits = e.lit_signed
                                ? (e.lit_width >= 64 || e.value < (1ULL << (e.lit_width - 1)))
                                : (e.lit_width >= 64 || e.value <= mask_of(e.lit_width));
                if (!fits)
                    err(e.loc, DiagCode::ValueDoesNotFit,
                        "value " + std::to_string(e.value) + " does not fit in " + e.type.str());
                e.value &= mask_of(e.lit_width);
            }
            return;
        }
        case ExprKind::Bool:
            e.type = Type::boolean();
            e.is_const = true;
            e.value = e.bool_value;
            return;
        case ExprKind::String:
            e.type = Type{Type::Kind::String};
            return;
        case ExprKind::Name:
            return check_name(e);
        case ExprKind::Member:
            return check_member(e);
        case ExprKind::Index:
            if (!subset_.stack_index(e.loc)) {
                check_expr(*e.kids[0], nullptr);
                check_expr(*e.kids[1], nullptr);
                if (e.kids[0]->type.kind == Type::Kind::Stack && !e.kids[0]->type.args.empty())
                    e.type = e.kids[0]->type.args[0];
                e.is_lvalue = e.kids[0]->is_lvalue;
            }
            return;
        case ExprKind::Slice:
            return check_slice(e);
        case ExprKind::Unary:
            return check_unary(e, expected);
        case ExprKind::Binary:
            return check_binary(e, expected);
        case ExprKind::Ternary: {
            check_expr(*e.kids[0], nullptr);
            if (e.kids[0]->type.kind != Type::Kind::Bool &&
                e.kids[0]->type.kind != Type::Kind::Unknown)
                err(e.kids[0]->loc, DiagCode::ConditionNotBool, "condition must be bool");
            check_expr(*e.kids[1], expected);
            check_expr(*e.kids[2], expected);
            unify_pair(e, *e.kids[1], *e.kids[2]);
            e.type = e.kids[1]->type;
            if (e.type.kind == Type::Kind::InfInt) {
                if (expected && expected->is_scalar_int()) {
                    coerce(*e.kids[1], *expected, "?:");
                    coerce(*e.kids[2], *expected, "?:");
                    e.type = *expected;
                } else {
                    err(e.loc, DiagCode::OperandType, "?: over unsized integers needs a width");
                }
            }
            if (e.kids[0]->is_const && e.kids[1]->is_const && e.kids[2]->is_const) {
                e.is_const = true;
                e.value = e.kids[0]->value ? e.kids[1]->value : e.kids[2]->value;
            }
            return;
        }
        case ExprKind::Cast:
            return check_cast(e);
        case ExprKind::Call:
            return check_call(e);
        case ExprKind::Mask:
        case ExprKind::Range:
        case ExprKind::Default:
            err(e.loc, DiagCode::Syntax,
                "a keyset is only allowed in table entries and select cases");
            return;
        case ExprKind::List:
            if (!subset_.list_expression(e.loc)) {
                for (auto& k : e.kids)
                    check_expr(*k, nullptr);
                e.type = Type{Type::Kind::Tuple};
            }
            return;
    }
}

void Checker::check_name(Expr& e) {
    const Symbol* s = e.dot_prefix ? lookup_global(e.name) : lookup(e.name);
    if (!s) {
        if (e.name == "error") {
            e.type = Type{Type::Kind::TypeName};
            e.sym = SymKind::Type;
            return;
        }
        err(e.loc, DiagCode::UnknownName, "unknown name '" + e.name + "'");
        return;
    }
    e.sym = s->kind;
    e.decl = s->decl;
    e.type = s->type;
    switch (s->kind) {
        case SymKind::Const:
            e.is_const = s->is_const;
            e.value = s->value;
            break;
        case SymKind::Local:
            e.is_lvalue = true;
            break;
        case SymKind::Param:
            e.is_lvalue = s->direction == "out" || s->direction == "inout";
            break;
        case SymKind::Type: {
            Type tn{Type::Kind::TypeName, 0, s->type.decl};
            tn.args = {s->type};
            e.type = tn;
            break;
        }
        default:
            break;
    }
}

void Checker::check_member(Expr& e) {
    Expr& base = *e.kids[0];
    check_expr(base, nullptr);
    const Type& bt = base.type;
    switch (bt.kind) {
        case Type::Kind::Unknown:
            return;
        case Type::Kind::Header:
        case Type::Kind::Struct:
        case Type::Kind::HeaderUnion: {
            if (bt.kind != Type::Kind::Struct &&
                (e.name == "isValid" || e.name == "setValid" || e.name == "setInvalid")) {
                e.sym = SymKind::Method;
                e.decl = bt.decl;
                return;
            }
            const Field* f = find_field(bt.decl, e.name);
            if (!f) {
                err(e.loc, DiagCode::NoSuchMember,
                    "'" + bt.decl->name + "' has no field '" + e.name + "'");
                return;
            }
            if (subset_.standard_metadata_field(e, bt.decl->name))
                return;
            {
                FunctionSubset::DeclaredElsewhere declared(subset_);
                e.type = resolve(f->type);
            }
            e.sym = SymKind::Field;
            e.is_lvalue = base.is_lvalue;
            return;
        }
        case Type::Kind::Stack: {
            // Whole programs: hdr.stack.next / .last (elements), .size / .lastIndex.
            if (e.name == "next" || e.name == "last") {
                if (!bt.args.empty())
                    e.type = bt.args[0];
                e.sym = SymKind::Field;
                e.is_lvalue = base.is_lvalue;
            } else if (e.name == "size" || e.name == "lastIndex" || e.name == "nextIndex") {
                e.type = Type::bit(32);
                e.sym = SymKind::Field;
            } else if (e.name == "push_front" || e.name == "pop_front") {
                e.sym = SymKind::Method;
                e.decl = bt.decl;
            } else {
                err(e.loc, DiagCode::NoSuchMember, "a header stack has no member '" + e.name + "'");
            }
            return;
        }
        case Type::Kind::TypeName: {
            const Decl* d = bt.decl;
            if (base.kind == ExprKind::Name && base.name == "error" && !d) {
                if (subset_.error_value(start_of(e)))
                    return;
                if (!errors_.count(e.name))
                    err(e.loc, DiagCode::NoSuchMember, "unknown error '" + e.name + "'");
                e.type = Type{Type::Kind::ErrorType};
                e.sym = SymKind::ErrorMember;
                e.is_const = true;
                return;
            }
            if (d && d->kind == DeclKind::Enum) {
                if (!in_ctor_args_ && subset_.enum_value(start_of(e)))
                    return;
                for (size_t i = 0; i < d->members.size(); ++i) {
                    if (d->members[i].first == e.name) {
                        e.type = Type{Type::Kind::Enum, 0, d};
                        e.sym = SymKind::EnumMember;
                        e.is_const = true;
                        e.value = i;
                        return;
                    }
                }
                err(e.loc, DiagCode::NoSuchMember,
                    "enum '" + d->name + "' has no member '" + e.name + "'");
                return;
            }
            err(e.loc, DiagCode::NoSuchMember,
                "type '" + bt.str() + "' has no member '" + e.name + "'");
            return;
        }
        case Type::Kind::Table:
            if (base.kind == ExprKind::Call && base.name == "apply_result") {
                // t.apply().hit / .miss / .action_run
                e.decl = bt.decl;
                e.sym = SymKind::Method;
                if (e.name == "hit" || e.name == "miss") {
                    e.type = Type::boolean();
                } else if (e.name == "action_run") {
                    e.type = Type{Type::Kind::Action, 0, bt.decl};
                } else {
                    err(e.loc, DiagCode::NoSuchMember,
                        "a table apply result has no member '" + e.name + "'");
                    e.sym = SymKind::None;
                }
                return;
            }
            e.sym = SymKind::Method;
            e.decl = bt.decl;
            return;
        case Type::Kind::Extern:
        case Type::Kind::Control:
        case Type::Kind::Parser:
            e.sym = SymKind::Method;
            e.decl = bt.decl;
            return;
        default:
            err(e.loc, DiagCode::NoSuchMember, "'" + bt.str() + "' has no member '" + e.name + "'");
    }
}

void Checker::check_slice(Expr& e) {
    check_expr(*e.kids[0], nullptr);
    check_expr(*e.kids[1], nullptr);
    check_expr(*e.kids[2], nullptr);
    const Type& bt = e.kids[0]->type;
    if (bt.kind == Type::Kind::Unknown)
        return;
    if (!bt.is_scalar_int()) {
        err(e.loc, DiagCode::OperandType, "slices need bit<W> or int<W>, not " + bt.str());
        return;
    }
    if (!e.kids[1]->is_const || !e.kids[2]->is_const) {
        err(e.loc, DiagCode::BadSlice, "slice bounds must be constants");
        return;
    }
    int64_t h = static_cast<int64_t>(e.kids[1]->value);
    int64_t l = static_cast<int64_t>(e.kids[2]->value);
    if (l < 0 || h < l || h >= bt.width) {
        err(e.loc, DiagCode::BadSlice,
            "slice [" + std::to_string(h) + ":" + std::to_string(l) + "] is out of range for " +
                bt.str());
        return;
    }
    e.type = Type::bit(static_cast<int>(h - l + 1));
    e.is_lvalue = e.kids[0]->is_lvalue;
    if (e.kids[0]->is_const) {
        e.is_const = true;
        e.value = (e.kids[0]->value >> l) & mask_of(static_cast<int>(h - l + 1));
    }
}

void Checker::check_cast(Expr& e) {
    Type to = resolve(e.cast_type);
    check_expr(*e.kids[0], &to);
    const Type& from = e.kids[0]->type;
    if (to.kind == Type::Kind::Unknown || from.kind == Type::Kind::Unknown)
        return;
    bool ok = false;
    if (from.kind == Type::Kind::InfInt && to.is_integral())
        ok = true;
    if (from.kind == Type::Kind::InfInt && to.kind == Type::Kind::Bool)
        ok = e.kids[0]->is_const && e.kids[0]->value <= 1;
    if (from.kind == to.kind && from.is_scalar_int())
        ok = true;  // resize, same sign
    if (from.is_scalar_int() && to.is_scalar_int() && from.width == to.width)
        ok = true;
    if (from.kind == Type::Kind::Bool && to.kind == Type::Kind::Bit && to.width == 1)
        ok = true;
    if (to.kind == Type::Kind::Bool && from.kind == Type::Kind::Bit && from.width == 1)
        ok = true;
    if (from.same(to))
        ok = true;
    if (!ok) {
        err(e.loc, DiagCode::BadCast, "cannot cast " + from.str() + " to " + to.str());
        return;
    }
    e.type = to;
    if (e.kids[0]->is_const) {
        e.is_const = true;
        uint64_t v = e.kids[0]->value;
        if (from.kind == Type::Kind::Int && to.kind == Type::Kind::Int && to.width > from.width)
            v = uint64_t(sign_extend(v, from.width));
        e.value = to.is_scalar_int() ? v & mask_of(to.width) : (v != 0);
    }
}

}  // namespace chima::p4::checking
