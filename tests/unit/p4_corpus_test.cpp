// The P4 front end on a corpus of snippets (tests/data/p4/): every good/ file checks
// without diagnostics; every bad/ file names its expected code on its first line
// ("// expect: E0400") and marks the expected position with /*^*/ (the diagnostic points at
// the first non-blank character after the marker).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "chima/p4/checker.hpp"

namespace fs = std::filesystem;
using namespace chima::p4;

namespace {

std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::vector<fs::path> files_in(const std::string& sub) {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(fs::path(CHIMA_TEST_DATA) / "p4" / sub))
        if (e.path().extension() == ".p4")
            out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

FrontEndOptions options() {
    FrontEndOptions o;
    o.include_dir = fs::path(CHIMA_TEST_DATA).parent_path().parent_path() / "p4" / "include";
    return o;
}

std::string all(const Diagnostics& d) {
    std::string s;
    for (const auto& x : d.list())
        s += "  " + x.str() + "\n";
    return s;
}

}  // namespace

TEST_CASE("p4 corpus: every good snippet checks clean") {
    auto files = files_in("good");
    CHECK(files.size() >= 40);
    for (const auto& f : files) {
        Diagnostics d;
        auto r = check_function(slurp(f), f.string(), "", options(), d);
        INFO(f.filename().string() << ":\n" << all(d));
        CHECK(d.empty());
        CHECK(r.control != nullptr);
    }
}

TEST_CASE("p4 corpus: every bad snippet reports its code at its marked position") {
    auto files = files_in("bad");
    CHECK(files.size() >= 40);
    for (const auto& f : files) {
        std::string text = slurp(f);
        std::string code = text.substr(text.find("expect: ") + 8, 5);
        int line = 1, col = 1;
        size_t m = text.find("/*^*/");
        if (m == std::string::npos) {
            // No marker: the position follows the code on the expect line ("E0310 1:1").
            std::string rest = text.substr(text.find("expect: ") + 14);
            REQUIRE_MESSAGE(std::sscanf(rest.c_str(), "%d:%d", &line, &col) == 2,
                            f.string() << " has neither a /*^*/ marker nor a position");
        } else {
            size_t at = m + 5;
            while (at < text.size() && (text[at] == ' ' || text[at] == '\n'))
                ++at;
            for (size_t i = 0; i < at; ++i) {
                if (text[i] == '\n') {
                    ++line;
                    col = 1;
                } else {
                    ++col;
                }
            }
        }
        Diagnostics d;
        check_function(text, f.string(), "", options(), d);
        bool found = false;
        for (const auto& x : d.list())
            found |= x.code == code && x.mark.line == line && x.mark.column == col &&
                     x.mark.file == f.string();
        INFO(f.filename().string()
             << ": want [" << code << "] at " << line << ":" << col << ", got:\n"
             << all(d));
        CHECK(found);
    }
}

TEST_CASE("p4 diagnostics: file:line:col, code and message, all errors of the file collected") {
    Diagnostics d;
    check_function(
        "parser p(packet_in b) { state start { transition accept; } }\n"
        "control f(inout headers_t h, inout local_metadata_t m, inout standard_metadata_t s) {\n"
        "    apply { h.ipv4.ttl = m.user0; m.user0 = nosuch; }\n"
        "}\n",
        "fw.p4", "", options(), d);
    REQUIRE(d.list().size() == 3);
    CHECK(d.list()[0].str() == "fw.p4:1:8: [E0312] parser blocks are not allowed in a function");
    CHECK(d.list()[1].code == "E0400");
    CHECK(d.list()[2].str() == "fw.p4:3:45: [E0300] unknown name 'nosuch'");
    CHECK_THROWS_AS(d.throw_if_any(), chima::InputErrors);
}
