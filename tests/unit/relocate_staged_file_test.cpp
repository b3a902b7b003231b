// chima-relocate's state files: written and fsynced before the switch, visible only when
// published (one rename each), nothing left behind when a relocation gives up.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "chima/error.hpp"
#include "chima/relocate/staged_file.hpp"

using namespace chima::relocate;
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
