// chima-compile's deployment mode: every P4 function of a deployment compiled (cached by
// content hash), its table entries checked against its P4Info, and per switch the merged
// v1model program (p4/chima.p4 with the switch's functions injected) for hardware targets.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "chima/model/deployment.hpp"
#include "chima/p4/compiler.hpp"
#include "chima/p4/entries.hpp"

namespace chima::deploy {

struct CompileDeploymentOptions {
    std::filesystem::path build_dir;      // artifacts, cache and <build_dir>/p4/<switch>.p4
    p4::CompileOptions compile;           // build_dir is overridden with build_dir
    std::filesystem::path template_file;  // empty: $CHIMA_ROOT/p4/chima.p4
    // The P4 compiler for p4runtime-target switches, run only when found on PATH (or a
    // path): p4c's driver ("--target bmv2 --arch v1model") or p4c-bm2-ss itself.
    std::string p4c = "p4c";
};

struct CompileDeploymentResult {
    nlohmann::json artifacts;  // the artifacts.json document (kind chima.artifacts)
    int compiled = 0, cached = 0;
};

// Throws InputError (exit 2) for a P4 error, an entry that does not fit its function's
// P4Info, or a merged program the front end rejects; writes nothing but the cache.
CompileDeploymentResult compile_deployment(const Deployment& d,
                                           const CompileDeploymentOptions& options);

// The entries written in service.yaml for one function, resolved against its P4Info (key
// fields and parameters by name; values as decimal, 0x hex, 0b binary, a.b.c.d, MAC,
// "v &&& mask", "v/len" or "_"). Errors name the function and the entry.
std::vector<p4::EntrySpec> resolve_entries(const PlacedFunction& f, const nlohmann::json& p4info);

// One P4 function injected into the merged program.
struct InjectedFunction {
    uint32_t slot = 0;
    std::string control;  // its control's name
    std::string source;   // the function's P4 text (its control block)
};

// `text` with each quoted relative #include made absolute against `dir`.
std::string anchor_includes(const std::string& text, const std::filesystem::path& dir);

// The template with `functions` injected at its three markers. With `template_dir`, each
// quoted relative #include of the template (its CHIMA types, "include/chima_types.p4") is
// made absolute against it, so the merged program written elsewhere compiles with p4c and
// nothing but p4c's own core.p4 and v1model.p4 on its include path.
std::string merge_program(const std::string& template_text,
                          const std::vector<InjectedFunction>& functions,
                          const std::filesystem::path& template_dir = {});

}  // namespace chima::deploy
