// chima-relocate's state files: written and fsynced before the switch, visible only when
// published (one rename each), nothing left behind when a relocation gives up.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "chima/error.hpp"
#include "chima/state_file.hpp"
#include "chima/staged_file.hpp"

using namespace chima;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// A fresh directory, removed afterwards.
struct TempDir {
    fs::path path;
    TempDir() {
        char tmpl[] = "/tmp/chima-staged-XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempDir() { fs::remove_all(path); }
    size_t entries() const {
        return static_cast<size_t>(std::distance(fs::directory_iterator(path), {}));
    }
};

}  // namespace

TEST_CASE("staged files appear only when published, replacing the old ones") {
    TempDir dir;
    auto routes = dir.path / "routes.json", installed = dir.path / "installed.json";
    std::ofstream(routes) << "old routes\n";
    std::vector<StagedFile> staged;
    staged.emplace_back(routes.string(), "new routes\n");
    staged.emplace_back(installed.string(), "new installed\n");
    CHECK(slurp(routes) == "old routes\n");
    CHECK_FALSE(fs::exists(installed));
    CHECK(dir.entries() == 3);  // the old file and two temporary ones
    publish(staged);
    CHECK(slurp(routes) == "new routes\n");
    CHECK(slurp(installed) == "new installed\n");
    CHECK((fs::status(installed).permissions() & fs::perms::all) ==
          (fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
           fs::perms::others_read));
    staged.clear();
    CHECK(dir.entries() == 2);  // no temporary file left
}

TEST_CASE("staged files never published leave nothing behind") {
    TempDir dir;
    auto routes = dir.path / "routes.json";
    std::ofstream(routes) << "old routes\n";
    {
        std::vector<StagedFile> staged;
        staged.emplace_back(routes.string(), "new routes\n");
    }
    CHECK(slurp(routes) == "old routes\n");
    CHECK(dir.entries() == 1);
}

TEST_CASE("a file that cannot be staged throws") {
    CHECK_THROWS_AS(StagedFile("/nonexistent-dir/routes.json", "x"), chima::RuntimeError);
}

TEST_CASE("the leftovers of an interrupted write go with the next write, a live one's stay") {
    TempDir dir;
    auto routes = dir.path / "routes.json";
    // What a process killed between writing and renaming leaves: an unlocked temp file.
    std::ofstream(dir.path / ".routes.json.tmpAbC123") << "half";
    std::ofstream(dir.path / ".other.json.tmpAbC123") << "not ours";
    std::ofstream(dir.path / ".routes.json.tmpAbC123.keep") << "not a temp name";
    {
        // A writer still at work: its temp file is locked and must survive.
        StagedFile live(routes.string(), "live\n");
        chima::write_file_atomic(routes.string(), "new\n");
        CHECK(slurp(routes) == "new\n");
        CHECK_FALSE(fs::exists(dir.path / ".routes.json.tmpAbC123"));
        CHECK(fs::exists(live.temp()));
        CHECK(fs::exists(dir.path / ".other.json.tmpAbC123"));
        CHECK(fs::exists(dir.path / ".routes.json.tmpAbC123.keep"));
    }
    CHECK(chima::remove_stale_temps(routes.string()) == 0);
    CHECK(dir.entries() == 3);  // routes.json and the two files that are not its temps
}
