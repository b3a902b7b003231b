// Type references resolved to types, unsized literals given a width, and the operand
// types of an operator made to agree.
#include <set>

#include "checker_impl.hpp"
#include "chima/p4/limits.hpp"

namespace chima::p4::checking {

Type Checker::resolve(const TypeRef& t, bool allow_unsized_int) {
    switch (t.kind) {
        case TypeRef::Kind::Bit:
        case TypeRef::Kind::Int:
        case TypeRef::Kind::Varbit: {
            if (!t.width) {
                if (t.kind == TypeRef::Kind::Int) {
                    if (!allow_unsized_int)
                        err(t.loc, DiagCode::OperandType,
                            "'int' without a width is only allowed for constants");
                    return Type{Type::Kind::InfInt};
                }
                return Type{};
            }
            check_expr(*t.width, nullptr);
            if (!t.width->is_const || !t.width->type.is_integral() ||
                static_cast<int64_t>(t.width->value) <= 0) {
                err(t.width->loc, DiagCode::BadWidth, "a width must be a positive constant");
                return Type{};
            }
            // Whole programs take any width p4c takes; a width that does not fit an int
            // would wrap around here.
            if (t.width->value > kMaxTypeWidth) {
                err(t.width->loc, DiagCode::WidthTooLarge,
                    "width " + std::to_string(t.width->value) + " is above " +
                        std::to_string(kMaxTypeWidth));
                return Type{};
            }
            int w = static_cast<int>(t.width->value);
            if (t.kind == TypeRef::Kind::Varbit) {
                subset_.varbit_type(t.loc);
                return Type{Type::Kind::Varbit, w};
            }
            if (subset_.type_too_wide(t.loc, w))
                return Type{};
            return t.kind == TypeRef::Kind::Bit ? Type::bit(w) : Type::sint(w);
        }
        case TypeRef::Kind::Bool:
            return Type::boolean();
        case TypeRef::Kind::Void:
            return Type{Type::Kind::Void};
        case TypeRef::Kind::String:
            return Type{Type::Kind::String};
        case TypeRef::Kind::Error:
            return Type{Type::Kind::ErrorType};
        case TypeRef::Kind::Tuple:
            subset_.tuple_type(t.loc);
            return Type{Type::Kind::Tuple};
        case TypeRef::Kind::Stack: {
            subset_.header_stack_type(t.loc);
            Type s{Type::Kind::Stack};
            s.args.push_back(resolve(t.args[0]));
            return s;
        }
        case TypeRef::Kind::Named: {
            const Symbol* s = lookup(t.name);
            if (!s && subset_.refused_extern_type(t.loc, t.name))
                return Type{};
            if (!s || s->kind != SymKind::Type) {
                err(t.loc, s ? DiagCode::NotAType : DiagCode::UnknownName,
                    s ? "'" + t.name + "' is not a type" : "unknown type '" + t.name + "'");
                return Type{};
            }
            Type r = s->type;
            if (r.kind == Type::Kind::Extern || r.kind == Type::Kind::Control ||
                r.kind == Type::Kind::Parser || r.kind == Type::Kind::Package) {
                for (const auto& a : t.args)
                    r.args.push_back(resolve(a));
            } else if (!t.args.empty()) {
                err(t.loc, DiagCode::OperandType, "type '" + t.name + "' takes no type arguments");
            }
            return r;
        }
        default:
            return Type{};
    }
}

// Gives an unsized literal the type `to` (checking it fits), or reports a mismatch.
void Checker::coerce(Expr& e, const Type& to, const std::string& context) {
    Type& from = e.type;
    if (from.kind == Type::Kind::Unknown || to.kind == Type::Kind::Unknown)
        return;
    if (to.kind == Type::Kind::Generic || from.kind == Type::Kind::Generic)
        return;
    if (from.kind == Type::Kind::InfInt && to.kind == Type::Kind::InfInt)
        return;
    if (from.kind == Type::Kind::InfInt && to.is_scalar_int()) {
        if (e.is_const) {
            int64_t v = static_cast<int64_t>(e.value);
            bool fits;
            if (to.kind == Type::Kind::Bit) {
                fits = v >= 0 && (to.width >= 64 || static_cast<uint64_t>(v) <= mask_of(to.width));
            } else {
                fits = to.width >= 64 ||
                       (v >= -(int64_t(1) << (to.width - 1)) && v < (int64_t(1) << (to.width - 1)));
            }
            if (!fits) {
                err(e.loc, DiagCode::ValueDoesNotFit,
                    "value " + std::to_string(v) + " does not fit in " + to.str());
            }
            e.value = static_cast<uint64_t>(v) & mask_of(to.width);
        }
        set_literal_type(e, to);
        return;
    }
    if (!from.same(to)) {
        err(start_of(e), DiagCode::TypeMismatch,
            "type mismatch in " + context + ": expected " + to.str() + ", got " + from.str());
    }
}

// Pushes a width down into a constant expression tree of unsized literals.
void Checker::set_literal_type(Expr& e, const Type& t) {
    e.type = t;
    if (e.is_const)
        e.value &= mask_of(t.width);
}

// Makes the operand types of a binary operator agree (literals take the other's type).
bool Checker::unify_pair(Expr& op, Expr& a, Expr& b) {
    Type& ta = a.type;
    Type& tb = b.type;
    if (ta.kind == Type::Kind::Unknown || tb.kind == Type::Kind::Unknown)
        return false;
    if (ta.kind == Type::Kind::InfInt && tb.kind == Type::Kind::InfInt)
        return true;
    if (ta.kind == Type::Kind::InfInt && tb.is_scalar_int()) {
        coerce(a, tb, "'" + op.name + "'");
        return true;
    }
    if (tb.kind == Type::Kind::InfInt && ta.is_scalar_int()) {
        coerce(b, ta, "'" + op.name + "'");
        return true;
    }
    if (!ta.same(tb)) {
        bool width = ta.is_scalar_int() && tb.is_scalar_int() && ta.kind == tb.kind;
        err(op.loc, DiagCode::TypeMismatch,
            std::string(width ? "width mismatch" : "type mismatch") + " in '" + op.name +
                "': " + ta.str() + " and " + tb.str());
        return false;
    }
    return true;
}

Type Checker::param_type(const TypeRef& t, const std::vector<Type>& bind,
                         const std::vector<std::string>& type_params) {
    if (t.kind == TypeRef::Kind::Named) {
        for (size_t i = 0; i < type_params.size(); ++i) {
            if (type_params[i] == t.name)
                return i < bind.size() ? bind[i] : Type{Type::Kind::Generic};
        }
        const Symbol* s = lookup(t.name);
        if (s && s->kind == SymKind::Type && s->type.kind == Type::Kind::Generic)
            return s->type;
    }
    FunctionSubset::DeclaredElsewhere declared(subset_);
    return resolve(t);
}

}  // namespace chima::p4::checking
