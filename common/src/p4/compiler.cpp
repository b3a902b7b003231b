#include "chima/p4/compiler.hpp"

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "chima/content_hash.hpp"
#include "chima/p4/ebpf_codegen.hpp"
#include "chima/p4/layout.hpp"
#include "chima/p4/limits.hpp"
#include "chima/process/child_process.hpp"
#include "chima/state_file.hpp"

namespace chima::p4 {

namespace fs = std::filesystem;

namespace {

// Long enough for the largest function; a clang that hangs must not hang the tool.
constexpr std::chrono::minutes kClangTimeout{10};

// Bumped whenever generated code changes shape, so stale cache entries are not reused.
constexpr const char* kBackendVersion = "ebpf-4";

std::string read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in)
        return {};
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Two FNV-1a 64 hashes with different seeds over the inputs, each part closed by a
// separator; collisions only cost a wrong cache hit on adversarial input, which the key's
// 128 bits make impractical.
std::string content_hash(const std::vector<std::string>& parts) {
    uint64_t h1 = kFnv1aOffset, h2 = 0x9e3779b97f4a7c15ULL;
    for (const auto& p : parts) {
        h1 = fnv1a("\xff", fnv1a(p, h1));
        h2 = fnv1a("\xfe", fnv1a(p, h2));
    }
    char buf[40];
    std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(h1),
                  static_cast<unsigned long long>(h2));
    return buf;
}

fs::path bpf_include(const CompileOptions& o) {
    if (!o.bpf_include_dir.empty())
        return o.bpf_include_dir;
    const char* root = std::getenv("CHIMA_ROOT");
    fs::path base = root && *root ? fs::path(root) : fs::path(CHIMA_DEFAULT_ROOT);
    return base / "bpf" / "include";
}

std::string multiarch_include() {
#if defined(__x86_64__)
    return "/usr/include/x86_64-linux-gnu";
#elif defined(__aarch64__)
    return "/usr/include/aarch64-linux-gnu";
#else
    return "/usr/include";
#endif
}

const char* bpf_arch_define() {
#if defined(__x86_64__)
    return "-D__TARGET_ARCH_x86";
#elif defined(__aarch64__)
    return "-D__TARGET_ARCH_arm64";
#else
    return "-D__TARGET_ARCH_unknown";
#endif
}

// Runs clang; on failure the compiler output becomes the error (a back-end bug or a limit).
void run_clang(const CompileOptions& o, const fs::path& c, const fs::path& obj) {
    fs::path log = obj;
    log += ".log";
    std::vector<std::string> args = {o.clang, "-O2", "-g", "-target", "bpf", bpf_arch_define(),
                                     "-Wno-unused-label", "-Wno-unused-variable",
                                     // The generated C nests a parenthesis per operator:
                                     // an expression of kMaxExpressionLength terms needs
                                     // more than clang's default of 256.
                                     "-fbracket-depth=" + std::to_string(4 * kMaxExpressionLength),
                                     "-I" + bpf_include(o).string(), "-I" + multiarch_include(),
                                     "-c", c.string(), "-o", obj.string()};
    process::Spec spec;
    spec.argv = std::move(args);
    spec.out = process::Output::inherit();
    spec.err = process::Output::append_to(log.string());  // kept beside the object
    spec.die_with_parent = true;  // clang is in its own process group: Ctrl-C reaches only us
    fs::remove(log);
    process::Result r = process::run(spec, kClangTimeout);
    if (!r.status.ok()) {
        throw RuntimeError("clang failed on generated " + c.string() +
                               (r.timed_out ? " (timed out)" : "") + ":\n" + read_all(log),
                           "this is a chima-compile bug or a BPF limit; the C file is kept");
    }
}

}  // namespace

CompiledFunction compile_function_text(const std::string& text, const std::string& file,
                                       const std::string& control_name,
                                       const CompileOptions& options) {
    if (options.build_dir.empty())
        throw InputError("compile_function: no build directory");
    Diagnostics diags;
    CheckedFunction fn = check_function(text, file, control_name, options.front_end, diags);
    diags.throw_if_any();

    fs::path inc = options.front_end.include_dir.empty() ? default_p4_include_dir()
                                                         : options.front_end.include_dir;
    CompiledFunction out;
    out.control = fn.control->name;
    out.hash = content_hash({kBackendVersion, text, fn.control->name, read_all(inc / "core.p4"),
                             read_all(inc / "v1model.p4"), read_all(inc / "headers.p4"),
                             read_all(inc / "chima_types.p4"),
                             read_all(bpf_include(options) / "chima" / "pipeline.h")});
    fs::path dir = options.build_dir / "p4fn";
    fs::create_directories(dir);
    std::string stem = fn.control->name + "-" + out.hash.substr(0, 16);
    out.c_path = dir / (stem + ".bpf.c");
    out.object_path = dir / (stem + ".bpf.o");
    out.p4info_path = dir / (stem + ".p4info.json");

    if (fs::exists(out.object_path) && fs::exists(out.p4info_path) && fs::exists(out.c_path)) {
        out.cached = true;
        out.c_source = read_all(out.c_path);
        out.p4info = nlohmann::json::parse(read_all(out.p4info_path));
        return out;
    }
    FunctionLayout layout = layout_function(fn);
    out.c_source = emit_ebpf_c(fn, layout);
    out.p4info = p4info_json(layout, fn);
    write_file_atomic(out.c_path.string(), out.c_source);
    fs::path tmp_obj = out.object_path;
    tmp_obj += ".tmp";
    run_clang(options, out.c_path, tmp_obj);
    fs::rename(tmp_obj, out.object_path);
    // P4Info last: its presence marks a complete cache entry.
    write_file_atomic(out.p4info_path.string(), out.p4info.dump(2) + "\n");
    return out;
}

CompiledFunction compile_function(const fs::path& file, const std::string& control_name,
                                  const CompileOptions& options) {
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw InputError(SourceMark{file.string()}, "cannot read P4 file");
    std::ostringstream ss;
    ss << in.rdbuf();
    return compile_function_text(ss.str(), file.string(), control_name, options);
}

}  // namespace chima::p4
