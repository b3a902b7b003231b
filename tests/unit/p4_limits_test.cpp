// The front end's limits (p4/limits.hpp, chima-compile(1) "LIMITS"): inputs far beyond them,
// generated here, are refused with their own code at the position where the limit is
// crossed (before this, deep inputs overflowed the stack), inputs within them still check,
// and recursion among actions or controls is refused naming the cycle.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "chima/p4/checker.hpp"
#include "chima/p4/limits.hpp"

namespace fs = std::filesystem;
using namespace chima::p4;

namespace {

FrontEndOptions options() {
    FrontEndOptions o;
    o.include_dir = fs::path(CHIMA_TEST_DATA).parent_path().parent_path() / "p4" / "include";
    return o;
}

std::string repeat(const std::string& s, int n) {
    std::string out;
    out.reserve(s.size() * n);
    for (int i = 0; i < n; ++i)
        out += s;
    return out;
}

const std::string kHead =
    "control f(inout headers_t hdr, inout local_metadata_t m, inout standard_metadata_t s) {\n";

// A function whose apply block is `body` (on line 3 of the file).
std::string function_with(const std::string& locals, const std::string& body) {
    return kHead + locals + "\n    apply {\n" + body + "\n    }\n}\n";
}

struct Result {
    std::vector<Diagnostic> list;
    bool accepted = false;

    std::string dump() const {
        std::string s;
        for (const auto& d : list)
            s += d.str() + "\n";
        return s;
    }
    bool has(const std::string& code) const {
        for (const auto& d : list)
            if (d.code == code)
                return true;
        return false;
    }
};

Result check(const std::string& text) {
    Diagnostics d;
    auto fn = check_function(text, "deep.p4", "", options(), d);
    return {d.list(), fn.control != nullptr && d.empty()};
}

// The only diagnostic is `code` at line:col of deep.p4.
void expect_only(const Result& r, const std::string& code, int line, int col) {
    INFO(r.dump());
    REQUIRE(r.list.size() == 1);
    CHECK(r.list[0].code == code);
    CHECK(r.list[0].mark.file == "deep.p4");
    CHECK(r.list[0].mark.line == line);
    CHECK(r.list[0].mark.column == col);
}

}  // namespace

TEST_CASE("p4 limits: 10,000 nested parentheses are E0600 at the 129th") {
    const std::string prefix = "        bit<8> r = ";
    Result r = check(
        function_with("", prefix + repeat("(", 10000) + "hdr.ipv4.ttl" + repeat(")", 10000) + ";"));
    // The initialiser is level 1 and starts at the first '(': level 129 starts at the 129th.
    expect_only(r, "E0600", 4, static_cast<int>(prefix.size()) + 1 + 128);
    CHECK(r.list[0].message.find("128") != std::string::npos);
}

TEST_CASE("p4 limits: parentheses within the limit still check") {
    Result r = check(function_with(
        "", "        bit<8> r = " + repeat("(", 100) + "hdr.ipv4.ttl" + repeat(")", 100) + ";"));
    INFO(r.dump());
    CHECK(r.accepted);
}

TEST_CASE("p4 limits: 10,000 nested if are E0600 at the statement that goes over") {
    std::string body;
    for (int i = 0; i < 10000; ++i)
        body += "if (hdr.ipv4.isValid()) {\n";
    body += "hdr.ipv4.ttl = 1;\n" + repeat("}\n", 10000);
    Result r = check(function_with("", body));
    // The apply block is level 2 (the control is 1), the k-th if's block level k + 2: the
    // 127th if's '{' (line 3 + 127, after "if (hdr.ipv4.isValid()) ") is level 129.
    expect_only(r, "E0600", 3 + 127, 25);
}

TEST_CASE("p4 limits: nested blocks and else-if chains count, within the limit they check") {
    Result blocks = check(function_with("", repeat("{", 10000) + repeat("}", 10000)));
    INFO(blocks.dump());
    CHECK(blocks.has("E0600"));
    CHECK(blocks.list.size() == 1);

    std::string chain = "if (hdr.ipv4.ttl == 0) { hdr.ipv4.ttl = 1; }\n";
    for (int i = 1; i < 5000; ++i)
        chain +=
            "else if (hdr.ipv4.ttl == " + std::to_string(i % 200) + ") { hdr.ipv4.ttl = 1; }\n";
    Result elses = check(function_with("", chain));
    INFO(elses.dump());
    CHECK(elses.has("E0600"));
    CHECK(elses.list.size() == 1);

    std::string ok = "if (hdr.ipv4.ttl == 0) { hdr.ipv4.ttl = 1; }\n";
    for (int i = 1; i < 60; ++i)
        ok += "else if (hdr.ipv4.ttl == " + std::to_string(i) + ") { hdr.ipv4.ttl = 1; }\n";
    Result fine = check(function_with("", repeat("{", 60) + ok + repeat("}", 60)));
    INFO(fine.dump());
    CHECK(fine.accepted);
}

TEST_CASE("p4 limits: 100,000 unary '!' are E0600, each nests its operand a level deeper") {
    const std::string prefix = "        bool r = ";
    Result r = check(function_with("", prefix + repeat("!", 100000) + "true;"));
    // The initialiser is level 1, the operand of the k-th '!' level k + 1: level 129 starts
    // at the 129th '!'.
    expect_only(r, "E0600", 4, static_cast<int>(prefix.size()) + 1 + 128);

    Result fine = check(function_with("", prefix + repeat("!", 100) + "true;"));
    INFO(fine.dump());
    CHECK(fine.accepted);
}

TEST_CASE("p4 limits: a 50,000-term sum is E0601, a 200-term sum checks") {
    const std::string prefix = "        bit<8> r = hdr.ipv4.ttl";
    Result r = check(function_with("", prefix + repeat(" + hdr.ipv4.ttl", 49999) + ";"));
    INFO(r.dump());
    REQUIRE(r.list.size() == 1);
    CHECK(r.list[0].code == "E0601");
    CHECK(r.list[0].mark.line == 4);
    // hdr.ipv4.ttl is three terms (a name and two member accesses), each " + hdr.ipv4.ttl"
    // four more: the 1025th is the 'hdr' of the 256th " + hdr.ipv4.ttl".
    static_assert(kMaxExpressionLength == 3 + 4 * 255 + 1);
    CHECK(r.list[0].mark.column == static_cast<int>(prefix.size()) + 1 + 15 * 255 + 3);

    Result fine = check(function_with("", prefix + repeat(" + hdr.ipv4.ttl", 199) + ";"));
    INFO(fine.dump());
    CHECK(fine.accepted);
}

TEST_CASE("p4 limits: long cast and ternary chains are bounded too") {
    Result casts =
        check(function_with("", "        bit<8> r = " + repeat("(bit<8>)", 20000) + "1;"));
    INFO(casts.dump());
    CHECK(casts.has("E0600"));
    CHECK(casts.list.size() == 1);

    Result ternary = check(function_with(
        "", "        bit<8> r = " + repeat("hdr.ipv4.ttl == 1 ? 8w1 : ", 20000) + "8w0;"));
    INFO(ternary.dump());
    CHECK((ternary.has("E0600") || ternary.has("E0601")));
    CHECK(ternary.list.size() == 1);
}

TEST_CASE("p4 limits: deeply nested types are E0600") {
    Diagnostics d;
    check_program("typedef " + repeat("tuple<", 10000) + "bit<8>" + repeat(">", 10000) + " t;\n",
                  "deep.p4", options(), d);
    REQUIRE(d.list().size() == 1);
    CHECK(d.list()[0].code == "E0600");
    CHECK(d.list()[0].mark.line == 1);
}

TEST_CASE("p4 limits: a recursive action is E0315 naming the cycle") {
    Result direct = check(function_with("    action a() { a(); }", "        a();"));
    INFO(direct.dump());
    CHECK(!direct.accepted);
    REQUIRE(direct.has("E0315"));
    for (const auto& d : direct.list) {
        if (d.code != "E0315")
            continue;
        CHECK(d.mark.line == 2);
        CHECK(d.mark.column == 18);
        CHECK(d.message.find("a -> a") != std::string::npos);
    }

    // Top-level actions see each other: a cycle through three of them.
    Result cycle = check("action a() { b(); }\naction b() { c(); }\naction c() { a(); }\n" +
                         function_with("", "        a();"));
    INFO(cycle.dump());
    REQUIRE(cycle.has("E0315"));
    CHECK(cycle.dump().find("a -> b -> c -> a") != std::string::npos);
}

TEST_CASE("p4 limits: controls that instantiate each other are E0315") {
    Diagnostics d;
    check_program(
        "control A() { B() b; apply { b.apply(); } }\n"
        "control B() { A() a; apply { a.apply(); } }\n",
        "deep.p4", options(), d);
    std::string all;
    for (const auto& x : d.list())
        all += x.str() + "\n";
    INFO(all);
    REQUIRE(!d.list().empty());
    CHECK(all.find("[E0315]") != std::string::npos);
    CHECK(all.find("A -> B -> A") != std::string::npos);
}

TEST_CASE("p4 limits: register and counter sizes outside 1..16777216 are E0510") {
    for (std::string size : {"0", "32w0", "2147483648", "16777217"}) {
        Result r = check(function_with("    register<bit<32>>(" + size + ") reg;", "        ;"));
        INFO(size << "\n" << r.dump());
        CHECK(r.has("E0510"));
        CHECK(!r.accepted);
    }
    Result counter = check(function_with("    counter(0, CounterType.packets) c;", "        ;"));
    INFO(counter.dump());
    CHECK(counter.has("E0510"));
    for (std::string size : {"1", "16777216"}) {
        Result r = check(function_with("    register<bit<32>>(" + size + ") reg;", "        ;"));
        INFO(size << "\n" << r.dump());
        CHECK(r.accepted);
    }
}

TEST_CASE("p4 limits: call fan-out is bounded (E0602), a few calls are fine") {
    // a_k calls a_(k-1) twice: 2^20 bodies once inlined.
    std::string actions = "    action a0() { hdr.ipv4.ttl = hdr.ipv4.ttl + 1; }\n";
    for (int k = 1; k <= 20; ++k)
        actions += "    action a" + std::to_string(k) + "() { a" + std::to_string(k - 1) + "(); a" +
                   std::to_string(k - 1) + "(); }\n";
    Result r = check(function_with(actions, "        a20();"));
    INFO(r.dump());
    REQUIRE(r.has("E0602"));
    CHECK(r.list.size() == 1);
    // a10 is the first whose body inlines more than 1024 (2 + 2*... = 2046 at its 2nd call).
    CHECK(r.list[0].mark.line == 2 + 10);

    std::string few = "    action a0() { hdr.ipv4.ttl = hdr.ipv4.ttl + 1; }\n";
    for (int k = 1; k <= 3; ++k)
        few += "    action a" + std::to_string(k) + "() { a" + std::to_string(k - 1) + "(); a" +
               std::to_string(k - 1) + "(); }\n";
    Result ok = check(function_with(few, "        a3();"));
    INFO(ok.dump());
    CHECK(ok.accepted);
}

TEST_CASE("p4 limits: a long chain of action calls nests too deep once inlined") {
    std::string actions = "    action a0() { hdr.ipv4.ttl = 1; }\n";
    for (int k = 1; k <= 300; ++k)
        actions +=
            "    action a" + std::to_string(k) + "() { a" + std::to_string(k - 1) + "(); }\n";
    Result r = check(function_with(actions, "        a300();"));
    INFO(r.dump());
    CHECK(r.has("E0600"));
    CHECK(!r.accepted);
}

TEST_CASE("p4 limits: a file of garbage reports at most the cap, then E0603") {
    Result r = check(repeat("$", 100000));
    INFO(r.list.size());
    REQUIRE(r.list.size() == kMaxDiagnostics + 1);
    CHECK(r.list.back().code == "E0603");
    CHECK(r.list.front().code == "E0100");
}
