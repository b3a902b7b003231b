// chima-compile's library entry: one P4 function -> C source, BPF object, P4Info JSON.
//
// Results are cached in `build_dir` by a hash of everything that shapes the output (the
// function text, the control name, the prelude and pipeline.h, the compiler version), so a
// second compile of an unchanged function does no work.
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "chima/p4/checker.hpp"

namespace chima::p4 {

struct CompileOptions {
    std::filesystem::path build_dir;  // required: where artifacts and the cache live
    FrontEndOptions front_end;
    std::filesystem::path bpf_include_dir;  // bpf/include; empty: $CHIMA_ROOT/bpf/include
    std::string clang = "clang";
};

struct CompiledFunction {
    std::string control;
    std::string c_source;
    std::filesystem::path c_path;
    std::filesystem::path object_path;
    std::filesystem::path p4info_path;
    nlohmann::json p4info;
    std::string hash;     // content hash of the inputs
    bool cached = false;  // true when nothing had to be compiled
};

// Checks, generates and compiles `file` (control `control_name`, or the only control).
// Throws InputErrors for P4 errors (exit 2) and RuntimeError when clang fails.
CompiledFunction compile_function(const std::filesystem::path& file,
                                  const std::string& control_name, const CompileOptions& options);

// The same from text in memory (`file` names it in diagnostics).
CompiledFunction compile_function_text(const std::string& text, const std::string& file,
                                       const std::string& control_name,
                                       const CompileOptions& options);

}  // namespace chima::p4
