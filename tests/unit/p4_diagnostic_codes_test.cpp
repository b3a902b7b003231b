// The catalog of diagnostic codes (chima/p4/diagnostic_codes.hpp) against the list in
// chima-compile(1) and the codes the bad P4 corpus expects: the man page lists exactly the
// catalog's codes with the same titles, and no test expects a code the catalog lacks.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>

#include "chima/p4/diagnostic_codes.hpp"
#include "chima/p4/diagnostics.hpp"

namespace fs = std::filesystem;
using namespace chima::p4;

namespace {

fs::path source_root() {
    return fs::path(CHIMA_TEST_DATA).parent_path().parent_path();
}

// roff escapes the list uses, back to plain text.
std::string unescape_roff(std::string s) {
    for (auto [from, to] : {std::pair<std::string, std::string>{"\\(aq", "'"},
                            {"\\-", "-"},
                            {"\\(dq", "\""},
                            {"\\e", "\\"}}) {
        for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
            s.replace(at, from.size(), to);
    }
    return s;
}

// The man page's "Diagnostic codes" list: ".B E0312" followed by the title line, up to the
// next section or subsection.
std::map<std::string, std::string> man_page_codes() {
    std::ifstream in(source_root() / "man" / "chima-compile.1");
    REQUIRE_MESSAGE(in.good(), "cannot read man/chima-compile.1");
    std::map<std::string, std::string> codes;
    bool inside = false;
    std::string line, pending;
    const std::regex code_line(R"(^\.B (E\d{4})$)");
    while (std::getline(in, line)) {
        if (line == ".SS \"Diagnostic codes\"") {
            inside = true;
            continue;
        }
        if (!inside)
            continue;
        if (line.rfind(".SH", 0) == 0 || line.rfind(".SS", 0) == 0)
            break;
        std::smatch m;
        if (std::regex_match(line, m, code_line)) {
            pending = m[1];
            continue;
        }
        if (!pending.empty()) {
            INFO("code " << pending << " is listed twice");
            CHECK(codes.emplace(pending, unescape_roff(line)).second);
            pending.clear();
        }
    }
    REQUIRE_MESSAGE(inside, "man/chima-compile.1 has no 'Diagnostic codes' subsection");
    return codes;
}

}  // namespace

TEST_CASE("diagnostic codes: the catalog is well formed, unique and in ascending order") {
    const std::regex shape(R"(E0[1-9]\d{2})");
    std::string previous;
    for (size_t i = 0; i < std::size(kDiagCodes); ++i) {
        const DiagCodeInfo& c = kDiagCodes[i];
        std::string code(c.code);
        INFO(code);
        CHECK(std::regex_match(code, shape));
        CHECK(static_cast<size_t>(c.id) == i);  // info(id) finds its own row
        CHECK(code > previous);
        CHECK(!c.title.empty());
        previous = code;
    }
    CHECK(code_text(DiagCode::ParserBlock) == "E0312");
}

TEST_CASE("diagnostic codes: chima-compile(1) lists exactly the catalog, with its titles") {
    std::map<std::string, std::string> listed = man_page_codes();
    std::map<std::string, std::string> catalog;
    for (const auto& c : kDiagCodes)
        catalog.emplace(std::string(c.code), std::string(c.title));
    for (const auto& [code, title] : catalog) {
        INFO("catalog code " << code << " (" << title << ")");
        auto it = listed.find(code);
        REQUIRE_MESSAGE(it != listed.end(), code << " is missing from the man page's list");
        CHECK(it->second == title);
    }
    for (const auto& [code, title] : listed) {
        INFO("man page code " << code << " (" << title << ")");
        CHECK_MESSAGE(catalog.count(code) == 1, code << " is in the man page but not the catalog");
    }
    CHECK(listed.size() == catalog.size());
}

TEST_CASE("diagnostic codes: a diagnostic carries its catalog code") {
    Diagnostics diags;
    std::string file = "fw.p4";
    diags.error(Loc{&file, 12, 5}, DiagCode::ParserBlock, "parser blocks are not allowed");
    REQUIRE(diags.list().size() == 1);
    CHECK(diags.list()[0].code == "E0312");
    CHECK(diags.list()[0].str() == "fw.p4:12:5: [E0312] parser blocks are not allowed");
}

TEST_CASE("diagnostic codes: every code the bad P4 corpus expects is in the catalog") {
    std::set<std::string> catalog;
    for (const auto& c : kDiagCodes)
        catalog.insert(std::string(c.code));
    const std::regex expect(R"(expect:\s*(E\d{4}))");
    int files = 0;
    for (const auto& e :
         fs::recursive_directory_iterator(fs::path(CHIMA_TEST_DATA) / "p4" / "bad")) {
        if (e.path().extension() != ".p4")
            continue;
        std::ifstream in(e.path());
        std::string first;
        std::getline(in, first);
        std::smatch m;
        if (!std::regex_search(first, m, expect))
            continue;
        ++files;
        INFO(e.path().filename().string() << " expects " << m[1]);
        CHECK(catalog.count(m[1]) == 1);
    }
    CHECK(files > 0);
}
