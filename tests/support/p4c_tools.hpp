// Where the unit tests that run the real p4c find it and the source tree, and a scratch
// directory for what p4c writes. p4c is ../shared/tools/p4c beside the source root.
#pragma once

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

namespace chima::test {

inline std::filesystem::path source_root() {
    const char* root = std::getenv("CHIMA_ROOT");
    if (root && *root)
        return root;
    return std::filesystem::path(CHIMA_TEST_DATA).parent_path().parent_path();
}

// ../shared/tools/p4c/bin/<name> (the directory itself for "").
inline std::filesystem::path p4c_bin(const std::string& name) {
    return source_root().parent_path() / "shared" / "tools" / "p4c" / "bin" / name;
}

// A directory of its own, removed with everything in it.
struct TempDir {
    std::filesystem::path path;
    explicit TempDir(const std::string& prefix) {
        std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
        path = ::mkdtemp(tmpl.data());
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
};

}  // namespace chima::test
