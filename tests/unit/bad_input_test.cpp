// The bad-input corpus: every file under tests/data/bad/ names, on its first line, the
// position and message its error must have: "# expect: [FILE:]LINE:COL: message". The
// file replaces the same role (topology-, service-, placement-) of the minimal example.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "chima/compose/compose.hpp"
#include "chima/model/legacy.hpp"

using namespace chima;
namespace fs = std::filesystem;

namespace {

struct Expectation {
    std::string file;  // basename the error must name (default: the bad file itself)
    int line, column;
    std::string message;
};

Expectation expectation_of(const fs::path& p) {
    std::ifstream in(p);
    std::string first;
    std::getline(in, first);
    std::smatch m;
    static const std::regex re(R"(^# expect: (?:(\S+\.yaml):)?(\d+):(\d+): (.*)$)");
    REQUIRE_MESSAGE(std::regex_match(first, m, re), p.string() << ": no '# expect:' line");
    return {m[1].matched ? m[1].str() : p.filename().string(), std::stoi(m[2]), std::stoi(m[3]),
            m[4].str()};
}

std::string root() {
    const char* r = std::getenv("CHIMA_ROOT");
    return r ? r : CHIMA_DEFAULT_ROOT;
}

void run_case(const fs::path& bad) {
    std::string ex = root() + "/examples/minimal/";
    std::string topo = ex + "topology.yaml", service = ex + "service.yaml",
                placement = ex + "placement.yaml";
    std::string name = bad.filename().string();
    if (name.rfind("topology-", 0) == 0)
        topo = bad.string();
    if (name.rfind("service-", 0) == 0)
        service = bad.string();
    if (name.rfind("placement-", 0) == 0)
        placement = bad.string();
    bool with_placement = name.rfind("service-", 0) != 0;
    ComposeInput in;
    in.topology = load_topology(topo);
    in.service = load_service(service);
    if (with_placement)
        in.placement = load_placement(placement);
    compose(in);
}

}  // namespace

TEST_CASE("bad input corpus: message, file, line and column") {
    fs::path dir = fs::path(CHIMA_TEST_DATA) / "bad";
    int cases = 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().extension() != ".yaml")
            continue;
        ++cases;
        Expectation want = expectation_of(entry.path());
        CAPTURE(entry.path().filename().string());
        try {
            run_case(entry.path());
            FAIL("no error for " << entry.path());
        } catch (const InputError& e) {
            CHECK(e.code() == ExitCode::BadInput);
            CHECK(fs::path(e.mark().file).filename().string() == want.file);
            CHECK(e.mark().line == want.line);
            CHECK(e.mark().column == want.column);
            CHECK_MESSAGE(std::string(e.what()).find(want.message) != std::string::npos,
                          "message was: " << e.what());
        }
    }
    CHECK(cases >= 25);
}

TEST_CASE("legacy dep.yaml with a bad stack entry names its position") {
    std::string ex = root() + "/examples/minimal/";
    Topology topo = load_topology(ex + "topology.yaml");
    std::string dir = std::string(CHIMA_TEST_DATA) + "/legacy/minimal/";
    try {
        import_legacy(topo, dir + "service.yaml", dir + "dep-bad-stack.yaml");
        FAIL("no error");
    } catch (const InputError& e) {
        CHECK(e.mark().line == 9);
        CHECK(e.mark().column == 19);
        CHECK(std::string(e.what()).find("unknown stack entry type 'hop'") != std::string::npos);
    }
}
