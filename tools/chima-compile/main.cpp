// chima-compile: P4 functions -> eBPF function slots and merged v1model programs.
//
//   chima-compile DEPLOYMENT -o artifacts.json [--build-dir DIR]
//                                            every P4 function of a deployment, its entries
//                                            checked, one merged v1model program per switch
//   chima-compile --check FUNCTION.p4        diagnostics on stderr, exit 0 or 2
//   chima-compile --function FUNCTION.p4     compile one function; prints its artifacts
#include <fstream>
#include <iostream>
#include <sstream>

#include "chima/deploy/compile_deployment.hpp"
#include "chima/p4/checker.hpp"
#include "chima/p4/compiler.hpp"
#include "chima/tool.hpp"

namespace {

// Prints every diagnostic as "chima-compile: error: file:line:col: [code] message".
int check(const std::string& file, const std::string& control) {
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw chima::InputError(chima::SourceMark{file}, "cannot read P4 file");
    std::ostringstream text;
    text << in.rdbuf();
    chima::p4::Diagnostics diags;
    chima::p4::check_function(text.str(), file, control, {}, diags);
    for (const auto& d : diags.list())
        std::cerr << "chima-compile: error: " << d.str() << "\n";
    return diags.empty() ? 0 : static_cast<int>(chima::ExitCode::BadInput);
}

}  // namespace

int main(int argc, char** argv) {
    chima::Tool tool("chima-compile", "Compile CHIMA P4 functions for the eBPF switch");
    std::string check_file, function_file, control, build_dir = "build/chima-compile", deployment;
    std::optional<std::string> out;
    tool.app.add_option("DEPLOYMENT", deployment, "deployment.json (from chima-compose)");
    tool.app.add_option("-o,--output", out, "write artifacts.json here (atomically)");
    auto* check_opt = tool.app.add_option("--check", check_file,
                                          "check one P4 function and print its diagnostics");
    tool.app
        .add_option("--function", function_file,
                    "compile one P4 function to a BPF object (prints the artifact JSON)")
        ->excludes(check_opt);
    tool.app.add_option("--control", control, "the control to use (default: the only one)");
    tool.app.add_option("--build-dir", build_dir, "artifact and cache directory");
    std::string p4c = "p4c";
    tool.app.add_option("--p4c", p4c,
                        "the P4 compiler for merged v1model programs: p4c (the driver) or "
                        "p4c-bm2-ss, by name on PATH or by path; run only when found");
    return tool.run(argc, argv, [&] {
        if (!check_file.empty())
            return check(check_file, control);
        if (!function_file.empty()) {
            chima::p4::CompileOptions opts;
            opts.build_dir = build_dir;
            auto r = chima::p4::compile_function(function_file, control, opts);
            chima::emit_json({{"control", r.control},
                              {"object", r.object_path.string()},
                              {"c_source", r.c_path.string()},
                              {"p4info", r.p4info_path.string()},
                              {"cached", r.cached}},
                             std::nullopt);
            return 0;
        }
        if (!deployment.empty()) {
            chima::deploy::CompileDeploymentOptions opts;
            opts.build_dir = build_dir;
            opts.p4c = p4c;
            auto r = chima::deploy::compile_deployment(chima::load_deployment(deployment), opts);
            std::cerr << "chima-compile: compiled " << r.compiled << ", cached " << r.cached
                      << "\n";
            chima::emit_json(r.artifacts, out);
            return 0;
        }
        throw chima::InputError("nothing to do",
                                "use DEPLOYMENT -o artifacts.json, --check FUNCTION.p4 or "
                                "--function FUNCTION.p4");
    });
}
