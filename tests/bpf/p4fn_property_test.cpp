// Property test of the P4 -> eBPF arithmetic: random expressions over bit<W> and int<W>
// (W in 1..64; + - * / % & | ^ << >> |+| |-| ~ unary-minus ++ slices casts comparisons ?:)
// are compiled into BPF by libchima's compiler, run on random inputs with
// BPF_PROG_TEST_RUN, and compared with an independent C++ reference evaluator.
// Many expressions share one object (inputs and results travel through registers).
#include <doctest/doctest.h>

#include <cstdio>
#include <random>
#include <sstream>

#include "p4fn_support.hpp"

namespace {

uint64_t mask(int w) {
    return w >= 64 ? ~0ULL : ((1ULL << w) - 1);
}
int64_t sext(uint64_t v, int w) {
    if (w >= 64)
        return static_cast<int64_t>(v);
    uint64_t m = 1ULL << (w - 1);
    v &= mask(w);
    return static_cast<int64_t>((v ^ m) - m);
}

constexpr int kInputs = 8;

struct Node {
    std::string op;  // "in", "lit", binary ops, "~", "neg", "++", "slice", "cast", "?:"
    int w = 0;
    bool s = false;  // int<W> when true
    std::vector<Node> k;
    uint64_t v = 0;      // lit value / input index
    int hi = 0, lo = 0;  // slice
    std::string cmp;     // ?: comparison operator (operands k[0], k[1]; arms k[2], k[3])
};

std::string ty(int w, bool s) {
    return std::string(s ? "int<" : "bit<") + std::to_string(w) + ">";
}

class Gen {
  public:
    explicit Gen(uint64_t seed) : rng_(seed) {}

    int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
    uint64_t u64() { return rng_(); }

    Node leaf(int w, bool s) {
        Node n;
        n.w = w;
        n.s = s;
        if (pick(4) == 0) {
            n.op = "lit";
            uint64_t lim = s ? (w == 1 ? 1 : (1ULL << (w - 1))) : 0;
            n.v = s ? (lim <= 1 ? 0 : u64() % lim) : (u64() & mask(w));
            if (pick(3) == 0)
                n.v = s ? 0 : mask(w) & (pick(2) ? 1 : ~0ULL);
        } else {
            n.op = "in";
            n.v = static_cast<uint64_t>(pick(kInputs));
        }
        return n;
    }

    Node gen(int w, bool s, int depth) {
        if (depth == 0 || pick(5) == 0)
            return leaf(w, s);
        Node n;
        n.w = w;
        n.s = s;
        static const char* const kBin[] = {"+", "-", "*", "&", "|", "^", "|+|", "|-|", "/", "%"};
        switch (pick(9)) {
            case 0:
            case 1:
            case 2: {
                n.op = kBin[pick(s ? 8 : 10)];
                n.k = {gen(w, s, depth - 1), gen(w, s, depth - 1)};
                if (n.op == "/" || n.op == "%") {
                    // A divisor with an input in it: never a constant zero (a compile error),
                    // but zero at run time now and then.
                    Node x;
                    x.op = "^";
                    x.w = w;
                    x.s = s;
                    Node in = leaf(w, s);
                    in.op = "in";
                    in.v = static_cast<uint64_t>(pick(kInputs));
                    x.k = {std::move(n.k[1]), std::move(in)};
                    n.k[1] = std::move(x);
                }
                return n;
            }
            case 3: {
                n.op = pick(2) ? "<<" : ">>";
                int aw = 1 + pick(8);
                n.k = {gen(w, s, depth - 1), gen(aw, false, depth - 1)};
                return n;
            }
            case 4:
                n.op = pick(2) ? "~" : "neg";
                n.k = {gen(w, s, depth - 1)};
                return n;
            case 5:
                if (w < 2)
                    return leaf(w, s);
                {
                    n.op = "++";
                    int w1 = 1 + pick(w - 1);
                    n.k = {gen(w1, s, depth - 1), gen(w - w1, pick(2) == 0, depth - 1)};
                }
                return n;
            case 6: {
                // slice of a wider value; int<W> targets cast the bit<W> slice
                int bw = w + pick(64 - w + 1);
                Node sl;
                sl.op = "slice";
                sl.w = w;
                sl.s = false;
                sl.lo = pick(bw - w + 1);
                sl.hi = sl.lo + w - 1;
                sl.k = {gen(bw, pick(2) == 0, depth - 1)};
                if (!s)
                    return sl;
                n.op = "cast";
                n.k = {sl};
                return n;
            }
            case 7: {
                n.op = "cast";
                bool fs = pick(2) == 0;
                int fw = fs == s ? 1 + pick(64) : w;
                n.k = {gen(fw, fs, depth - 1)};
                return n;
            }
            default: {
                static const char* const kCmp[] = {"<", ">", "<=", ">=", "==", "!="};
                n.op = "?:";
                n.cmp = kCmp[pick(6)];
                int cw = 1 + pick(64);
                bool cs = pick(2) == 0;
                n.k = {gen(cw, cs, depth - 1), gen(cw, cs, depth - 1), gen(w, s, depth - 1),
                       gen(w, s, depth - 1)};
                return n;
            }
        }
    }

  private:
    std::mt19937_64 rng_;
};

std::string p4(const Node& n) {
    if (n.op == "in") {
        std::string b = "((bit<" + std::to_string(n.w) + ">)a" + std::to_string(n.v) + ")";
        return n.s ? "((" + ty(n.w, true) + ")" + b + ")" : b;
    }
    if (n.op == "lit")
        return std::to_string(n.w) + (n.s ? "s" : "w") + std::to_string(n.v);
    if (n.op == "~")
        return "(~" + p4(n.k[0]) + ")";
    if (n.op == "neg")
        return "(-" + p4(n.k[0]) + ")";
    if (n.op == "slice")
        return "(" + p4(n.k[0]) + "[" + std::to_string(n.hi) + ":" + std::to_string(n.lo) + "])";
    if (n.op == "cast")
        return "((" + ty(n.w, n.s) + ")" + p4(n.k[0]) + ")";
    if (n.op == "?:")
        return "((" + p4(n.k[0]) + " " + n.cmp + " " + p4(n.k[1]) + ") ? " + p4(n.k[2]) + " : " +
               p4(n.k[3]) + ")";
    return "(" + p4(n.k[0]) + " " + n.op + " " + p4(n.k[1]) + ")";
}

// The reference semantics (P4-16): wrap at width, two's complement for int<W>,
// shifts by >= W give 0 (or the sign for int >>), saturating ops clamp; x/0 = 0, x%0 = x.
uint64_t eval(const Node& n, const uint64_t* in) {
    const uint64_t m = mask(n.w);
    if (n.op == "in")
        return in[n.v] & m;
    if (n.op == "lit")
        return n.v & m;
    if (n.op == "~")
        return ~eval(n.k[0], in) & m;
    if (n.op == "neg")
        return (0 - eval(n.k[0], in)) & m;
    if (n.op == "slice")
        return (eval(n.k[0], in) >> n.lo) & m;
    if (n.op == "cast") {
        const Node& f = n.k[0];
        uint64_t v = eval(f, in);
        if (f.s && n.s)
            return static_cast<uint64_t>(sext(v, f.w)) & m;
        return v & m;
    }
    if (n.op == "?:") {
        const Node& a = n.k[0];
        uint64_t x = eval(a, in), y = eval(n.k[1], in);
        bool c;
        if (a.s) {
            int64_t sx = sext(x, a.w), sy = sext(y, a.w);
            c = n.cmp == "<"    ? sx < sy
                : n.cmp == ">"  ? sx > sy
                : n.cmp == "<=" ? sx <= sy
                : n.cmp == ">=" ? sx >= sy
                : n.cmp == "==" ? sx == sy
                                : sx != sy;
        } else {
            c = n.cmp == "<"    ? x < y
                : n.cmp == ">"  ? x > y
                : n.cmp == "<=" ? x <= y
                : n.cmp == ">=" ? x >= y
                : n.cmp == "==" ? x == y
                                : x != y;
        }
        return c ? eval(n.k[2], in) : eval(n.k[3], in);
    }
    uint64_t a = eval(n.k[0], in), b = eval(n.k[1], in);
    const std::string& op = n.op;
    if (op == "++")
        return ((a << n.k[1].w) | b) & m;
    if (op == "<<")
        return b >= static_cast<uint64_t>(n.w) ? 0 : (a << b) & m;
    if (op == ">>") {
        if (!n.s)
            return b >= static_cast<uint64_t>(n.w) ? 0 : a >> b;
        int64_t sa = sext(a, n.w);
        if (b >= static_cast<uint64_t>(n.w))
            return sa < 0 ? m : 0;
        return static_cast<uint64_t>(sa >> b) & m;
    }
    if (op == "+")
        return (a + b) & m;
    if (op == "-")
        return (a - b) & m;
    if (op == "*")
        return (a * b) & m;
    if (op == "&")
        return a & b;
    if (op == "|")
        return a | b;
    if (op == "^")
        return a ^ b;
    if (op == "/")
        return b ? a / b : 0;
    if (op == "%")
        return b ? a % b : a;
    if (op == "|+|") {
        if (!n.s) {
            unsigned __int128 r = static_cast<unsigned __int128>(a) + b;
            return r > m ? m : static_cast<uint64_t>(r);
        }
        __int128 r = static_cast<__int128>(sext(a, n.w)) + sext(b, n.w);
        __int128 hi = static_cast<__int128>(mask(n.w - 1)), lo = -hi - 1;
        return static_cast<uint64_t>(r > hi ? hi : r < lo ? lo : r) & m;
    }
    if (op == "|-|") {
        if (!n.s)
            return a < b ? 0 : a - b;
        __int128 r = static_cast<__int128>(sext(a, n.w)) - sext(b, n.w);
        __int128 hi = static_cast<__int128>(mask(n.w - 1)), lo = -hi - 1;
        return static_cast<uint64_t>(r > hi ? hi : r < lo ? lo : r) & m;
    }
    FAIL("unknown op " << op);
    return 0;
}

std::string result_expr(const Node& n) {
    std::string e = p4(n);
    if (n.s)
        e = "((bit<" + std::to_string(n.w) + ">)" + e + ")";
    return "((bit<64>)" + e + ")";
}

uint64_t input_value(Gen& g) {
    switch (g.pick(6)) {
        case 0:
            return 0;
        case 1:
            return ~0ULL;
        case 2:
            return 1ULL << g.pick(64);
        case 3:
            return static_cast<uint64_t>(g.pick(300));
        default:
            return g.u64();
    }
}

}  // namespace

TEST_CASE("p4fn property: random bit<W>/int<W> expressions, BPF == reference, >= 10000 cases") {
    constexpr int kObjects = 5, kExprs = 100, kRuns = 21;
    uint64_t seed = 20261123;
    if (const char* s = std::getenv("CHIMA_P4_PROPERTY_SEED"))
        seed = std::strtoull(s, nullptr, 0);
    INFO("seed " << seed << " (set CHIMA_P4_PROPERTY_SEED to reproduce)");
    Gen g(seed);
    int cases = 0, mismatches = 0;
    for (int obj = 0; obj < kObjects; ++obj) {
        std::vector<Node> exprs;
        std::ostringstream src;
        src << "control prop(inout headers_t hdr, inout local_metadata_t meta,\n"
               "             inout standard_metadata_t sm) {\n"
               "    register<bit<64>>("
            << kInputs << ") in_r;\n    register<bit<64>>(" << kExprs << ") out_r;\n    apply {\n";
        for (int i = 0; i < kInputs; ++i)
            src << "        bit<64> a" << i << ";\n        in_r.read(a" << i << ", " << i << ");\n";
        for (int i = 0; i < kExprs; ++i) {
            exprs.push_back(g.gen(1 + g.pick(64), g.pick(3) == 0, 3));
            src << "        out_r.write(" << i << ", " << result_expr(exprs.back()) << ");\n";
        }
        src << "    }\n}\n";
        chima::p4::CompileOptions opts;
        opts.build_dir = chima::test::p4_build_dir();
        auto compiled = chima::p4::compile_function_text(
            src.str(), "property" + std::to_string(obj) + ".p4", "", opts);
        chima::test::LoadedFunction f(std::move(compiled));
        int in_fd = f.map_fd("reg_in_r"), out_fd = f.map_fd("reg_out_r");
        for (int run = 0; run < kRuns; ++run) {
            uint64_t in[kInputs];
            for (int i = 0; i < kInputs; ++i) {
                in[i] = input_value(g);
                __u32 k = i;
                REQUIRE(bpf_map_update_elem(in_fd, &k, &in[i], BPF_ANY) == 0);
            }
            f.run(chima::test::ipv4_packet(1, 2, 6, 3, 4));
            for (int i = 0; i < kExprs; ++i) {
                __u32 k = i;
                uint64_t got = 0;
                REQUIRE(bpf_map_lookup_elem(out_fd, &k, &got) == 0);
                uint64_t want = eval(exprs[i], in);
                ++cases;
                if (got != want && ++mismatches <= 10) {
                    std::ostringstream ins;
                    for (int j = 0; j < kInputs; ++j)
                        ins << " a" << j << "=0x" << std::hex << in[j];
                    FAIL_CHECK(p4(exprs[i])
                               << " as " << ty(exprs[i].w, exprs[i].s) << ":" << ins.str()
                               << std::hex << " bpf=0x" << got << " ref=0x" << want);
                }
            }
        }
    }
    CHECK(mismatches == 0);
    CHECK(cases >= 10000);
    MESSAGE(cases << " cases");
}
