// Unary and binary operators: operand types, result types and folding.
#include "checker_impl.hpp"

namespace chima::p4::checking {

void Checker::check_unary(Expr& e, const Type* expected) {
    Expr& a = *e.kids[0];
    check_expr(a, expected);
    const Type& t = a.type;
    if (t.kind == Type::Kind::Unknown)
        return;
    if (e.name == "!") {
        if (t.kind != Type::Kind::Bool) {
            err(e.loc, DiagCode::OperandType, "'!' needs bool, not " + t.str());
            return;
        }
        e.type = t;
        if (a.is_const) {
            e.is_const = true;
            e.value = !a.value;
        }
        return;
    }
    if (!t.is_integral()) {
        err(e.loc, DiagCode::OperandType, "'" + e.name + "' needs an integer, not " + t.str());
        return;
    }
    if (e.name == "~" && t.kind == Type::Kind::InfInt) {
        if (expected && expected->is_scalar_int()) {
            coerce(a, *expected, "operand of '~'");
        } else {
            err(e.loc, DiagCode::OperandType, "'~' on an unsized integer needs a width");
            return;
        }
    }
    e.type = a.type;
    if (a.is_const) {
        e.is_const = true;
        uint64_t v = a.value;
        if (e.name == "-")
            v = 0 - v;
        if (e.name == "~")
            v = ~v;
        e.value = e.type.kind == Type::Kind::InfInt ? v : (v & mask_of(e.type.width));
    }
}

void Checker::check_binary(Expr& e, const Type* expected) {
    Expr& a = *e.kids[0];
    Expr& b = *e.kids[1];
    const std::string& op = e.name;
    bool arith = op == "+" || op == "-" || op == "*" || op == "/" || op == "%" || op == "|+|" ||
                 op == "|-|" || op == "&" || op == "|" || op == "^";
    bool shift = op == "<<" || op == ">>";
    bool cmp = op == "==" || op == "!=";
    bool order = op == "<" || op == ">" || op == "<=" || op == ">=";
    bool logic = op == "&&" || op == "||";
    check_expr(a, arith || shift ? expected : nullptr);
    check_expr(b, arith ? expected : nullptr);
    if (a.type.kind == Type::Kind::Unknown || b.type.kind == Type::Kind::Unknown)
        return;

    if (logic) {
        if (a.type.kind != Type::Kind::Bool || b.type.kind != Type::Kind::Bool) {
            err(e.loc, DiagCode::OperandType, "'" + op + "' needs bool operands");
            return;
        }
        e.type = Type::boolean();
        fold(e);
        return;
    }
    if (op == "++") {
        for (Expr* x : {&a, &b}) {
            if (!x->type.is_scalar_int()) {
                err(x->loc, DiagCode::OperandType,
                    "'++' needs bit<W> or int<W> operands, not " + x->type.str());
                return;
            }
        }
        int w = a.type.width + b.type.width;
        if (subset_.concatenation_too_wide(e.loc, w))
            return;
        e.type = a.type.kind == Type::Kind::Int ? Type::sint(w) : Type::bit(w);
        fold(e);
        return;
    }
    if (shift) {
        if (!a.type.is_integral() || !b.type.is_integral()) {
            err(e.loc, DiagCode::OperandType, "'" + op + "' needs integer operands");
            return;
        }
        if (b.type.kind == Type::Kind::Int ||
            (b.type.kind == Type::Kind::InfInt && b.is_const && int64_t(b.value) < 0)) {
            err(b.loc, DiagCode::BadShift, "a shift amount must be unsigned");
            return;
        }
        if (a.type.kind == Type::Kind::InfInt && !b.is_const) {
            if (expected && expected->is_scalar_int()) {
                coerce(a, *expected, "'" + op + "'");
            } else {
                err(e.loc, DiagCode::BadShift,
                    "shifting an unsized integer by a non-constant needs a width");
                return;
            }
        }
        e.type = a.type;
        fold(e);
        return;
    }
    if (cmp) {
        if (!unify_pair(e, a, b))
            return;
        if (subset_.comparison(e.loc, a.type))
            return;
        e.type = Type::boolean();
        fold(e);
        return;
    }
    if (!a.type.is_integral() || !b.type.is_integral()) {
        err(e.loc, DiagCode::OperandType,
            "'" + op + "' needs integer operands, not " + a.type.str() + " and " + b.type.str());
        return;
    }
    if (!unify_pair(e, a, b))
        return;
    if (order) {
        e.type = Type::boolean();
        fold(e);
        return;
    }
    e.type = a.type;
    if ((op == "/" || op == "%") && e.type.kind == Type::Kind::Int) {
        err(e.loc, DiagCode::SignedDivision, "'" + op + "' on signed int<W> is not supported");
        return;
    }
    if ((op == "|+|" || op == "|-|") && e.type.kind == Type::Kind::InfInt) {
        err(e.loc, DiagCode::OperandType, "saturating '" + op + "' needs a width");
        return;
    }
    if ((op == "/" || op == "%") && b.is_const && b.value == 0) {
        err(b.loc, DiagCode::DivisionByZero, "division by zero");
        return;
    }
    fold(e);
}

}  // namespace chima::p4::checking
