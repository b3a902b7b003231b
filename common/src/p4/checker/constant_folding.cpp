// Compile-time values of constant expressions, with the same semantics as the eBPF back
// end (fixed-width wrap-around, arithmetic shifts of int<W>).
#include "checker_impl.hpp"

namespace chima::p4::checking {

uint64_t mask_of(int width) {
    return width >= 64 ? ~0ULL : ((1ULL << width) - 1);
}

int64_t sign_extend(uint64_t value, int width) {
    if (width >= 64)
        return static_cast<int64_t>(value);
    uint64_t sign = 1ULL << (width - 1);
    value &= mask_of(width);
    return static_cast<int64_t>((value ^ sign) - sign);
}

// Constant folding with the same semantics as the back end.
void Checker::fold(Expr& e) {
    Expr& a = *e.kids[0];
    Expr& b = *e.kids[1];
    if (!a.is_const || !b.is_const)
        return;
    const std::string& op = e.name;
    uint64_t x = a.value, y = b.value, r = 0;
    const Type& t = a.type;
    bool inf = t.kind == Type::Kind::InfInt;
    bool sgn = t.kind == Type::Kind::Int || inf;
    int w = inf ? 64 : t.width;
    int64_t sx = inf ? int64_t(x) : sign_extend(x, w), sy = inf ? int64_t(y) : sign_extend(y, w);
    if (op == "+")
        r = x + y;
    else if (op == "-")
        r = x - y;
    else if (op == "*")
        r = x * y;
    else if ((op == "/" || op == "%") && y == 0)
        return;  // reported by the caller
    else if (op == "/")
        // INT64_MIN / -1 overflows: it wraps around, as in the back end.
        r = inf ? (sy == -1 ? 0 - x : uint64_t(sx / sy)) : x / y;
    else if (op == "%")
        r = inf ? (sy == -1 ? 0 : uint64_t(sx % sy)) : x % y;
    else if (op == "&")
        r = x & y;
    else if (op == "|")
        r = x | y;
    else if (op == "^")
        r = x ^ y;
    else if (op == "<<")
        r = y >= uint64_t(w) ? 0 : x << y;
    else if (op == ">>")
        r = y >= uint64_t(w) ? (sgn && sx < 0 ? ~0ULL : 0) : (sgn ? uint64_t(sx >> y) : x >> y);
    else if (op == "==")
        r = x == y;
    else if (op == "!=")
        r = x != y;
    else if (op == "<")
        r = sgn ? sx < sy : x < y;
    else if (op == ">")
        r = sgn ? sx > sy : x > y;
    else if (op == "<=")
        r = sgn ? sx <= sy : x <= y;
    else if (op == ">=")
        r = sgn ? sx >= sy : x >= y;
    else if (op == "&&")
        r = x && y;
    else if (op == "||")
        r = x || y;
    else if (op == "++")
        r = (b.type.width >= 64 ? 0 : x << b.type.width) | y;
    else
        return;  // saturating: not folded, evaluated at run time
    e.is_const = true;
    e.value = e.type.is_scalar_int() ? (r & mask_of(e.type.width)) : r;
}

}  // namespace chima::p4::checking
