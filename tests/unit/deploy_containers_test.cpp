// chima-install's container part without root: which build context a function's image comes
// from, and the instance names.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "chima/deploy/containers.hpp"
#include "chima/error.hpp"

using namespace chima;
namespace fs = std::filesystem;

namespace {

struct TempDir {
    fs::path path;
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "chima-ctx-XXXXXX").string();
        path = ::mkdtemp(tmpl.data());
    }
    ~TempDir() { fs::remove_all(path); }
};

void make_context(const fs::path& dir, const std::string& binary) {
    fs::create_directories(dir);
    std::ofstream(dir / "Containerfile") << "FROM scratch\n";
    std::ofstream(dir / binary) << "binary";
}

PlacedFunction function(const std::string& name, const std::string& build) {
    PlacedFunction f;
    f.chain = "minimal";
    f.spec.name = name;
    f.spec.build = build;
    f.spec.mark = {"service.yaml", 12, 5};
    return f;
}

}  // namespace

TEST_CASE("a source directory without its binary resolves to the built context") {
    TempDir t;
    fs::path src = t.path / "src" / "toupper";
    fs::create_directories(src);
    std::ofstream(src / "Containerfile") << "FROM scratch\n";  // the source tree: no binary
    fs::path built = t.path / "build" / "functions";
    make_context(built / "toupper", "toupper");
    CHECK(deploy::resolve_build_context(function("toupper", src.string()), built.string()) ==
          (built / "toupper").string());
}

TEST_CASE("a complete context in spec.build is used as it is") {
    TempDir t;
    make_context(t.path / "mine", "mine");
    CHECK(deploy::resolve_build_context(function("upper2", (t.path / "mine").string()),
                                        (t.path / "none").string()) == (t.path / "mine").string());
}

TEST_CASE("a function named differently from its build dir finds the binary by either name") {
    TempDir t;
    fs::path built = t.path / "functions";
    make_context(built / "echo", "echo");  // function "echo2" built from examples/functions/echo
    CHECK(deploy::resolve_build_context(function("echo2", "/nowhere/echo"), built.string()) ==
          (built / "echo").string());
}

TEST_CASE("no context anywhere is an InputError at the function's source position") {
    TempDir t;
    try {
        deploy::resolve_build_context(function("toupper", "/nowhere/toupper"), t.path.string());
        FAIL("no error");
    } catch (const InputError& e) {
        std::string what = e.what();
        CHECK(what.find("service.yaml:12:5") != std::string::npos);
        CHECK(what.find("/nowhere/toupper") != std::string::npos);
    }
}

TEST_CASE("instance names derive from net, chain and function") {
    auto f = function("toupper", "");
    CHECK(deploy::instance_name("demo", f) == "chima-demo-minimal-toupper");
    CHECK(deploy::instance_name("demo", f, "-b") == "chima-demo-minimal-toupper-b");
}

TEST_CASE("the default functions dir follows CHIMA_BUILD") {
    const char* old = std::getenv("CHIMA_BUILD");
    std::string saved = old ? old : "";
    ::setenv("CHIMA_BUILD", "/some/build", 1);
    CHECK(deploy::default_functions_dir() == "/some/build/functions");
    ::unsetenv("CHIMA_BUILD");
    CHECK(fs::path(deploy::default_functions_dir()).filename() == "functions");
    if (old)
        ::setenv("CHIMA_BUILD", saved.c_str(), 1);
}
