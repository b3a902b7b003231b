// compile_function end to end without the kernel: C, BPF object and P4Info are produced,
// a second compile of the same input is a cache hit, a changed input is not; P4 errors are
// InputErrors. Prints the compile time of a warm-cache miss (goal < 300 ms).
#include <doctest/doctest.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "chima/p4/compiler.hpp"

namespace fs = std::filesystem;
using namespace chima::p4;

namespace {

struct TempDir {
    fs::path path;
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "chima-p4-XXXXXX").string();
        path = ::mkdtemp(tmpl.data());
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

CompileOptions options(const fs::path& dir) {
    CompileOptions o;
    o.build_dir = dir;
    fs::path root = fs::path(CHIMA_TEST_DATA).parent_path().parent_path();
    o.front_end.include_dir = root / "p4" / "include";
    o.bpf_include_dir = root / "bpf" / "include";
    return o;
}

const char* kFn =
    "control f(inout headers_t hdr, inout local_metadata_t m, inout standard_metadata_t s) {\n"
    "    apply { hdr.ipv4.ttl = TTL; }\n}\n";

}  // namespace

TEST_CASE("p4 compile: artifacts, content-hash cache, and the cost of a miss") {
    TempDir dir;
    auto opts = options(dir.path);
    std::string a = std::string("const bit<8> TTL = 7;\n") + kFn;
    auto t0 = std::chrono::steady_clock::now();
    auto first = compile_function_text(a, "f.p4", "", opts);
    auto ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    MESSAGE("compile (cache miss) took " << ms << " ms");
    CHECK_FALSE(first.cached);
    CHECK(fs::file_size(first.object_path) > 0);
    CHECK(first.c_source.find("SEC(\"tc\")") != std::string::npos);
    CHECK(first.c_source.find("bpf_tail_call(skb, &chima_resume, 0)") != std::string::npos);
    CHECK(first.p4info["function"] == "f");

    auto again = compile_function_text(a, "f.p4", "", opts);
    CHECK(again.cached);
    CHECK(again.object_path == first.object_path);
    CHECK(again.p4info == first.p4info);

    std::string b = std::string("const bit<8> TTL = 8;\n") + kFn;
    auto changed = compile_function_text(b, "f.p4", "", opts);
    CHECK_FALSE(changed.cached);
    CHECK(changed.object_path != first.object_path);
}

TEST_CASE("p4 compile: P4 errors are InputErrors with every diagnostic") {
    TempDir dir;
    try {
        compile_function_text(
            "control f(inout headers_t h, inout local_metadata_t m, inout standard_metadata_t s) "
            "{ apply { h.ipv4.ttl = m.user0; m.user1 = nosuch; } }\n",
            "bad.p4", "", options(dir.path));
        FAIL("no error");
    } catch (const chima::InputErrors& e) {
        REQUIRE(e.errors().size() == 2);
        CHECK(std::string(e.errors()[0].what()).rfind("bad.p4:1:", 0) == 0);
        CHECK(std::string(e.what()).find("[E0400]") != std::string::npos);
        CHECK(std::string(e.what()).find("[E0300] unknown name 'nosuch'") != std::string::npos);
    }
    CHECK(fs::is_empty(dir.path));  // nothing written for a failed check
}
