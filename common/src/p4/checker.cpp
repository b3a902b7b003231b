// The entry points of the P4 checker: parse, then run the checker (checker/) over the
// program in function or whole-program mode.
#include "chima/p4/checker.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "checker/checker_impl.hpp"
#include "chima/p4/parser.hpp"

namespace chima::p4 {

namespace fs = std::filesystem;

namespace {

using checking::Checker;

std::string read_file_or_throw(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in)
        throw InputError(SourceMark{p.string()}, "cannot read P4 file");
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

fs::path default_p4_include_dir() {
    const char* root = std::getenv("CHIMA_ROOT");
    fs::path base = root && *root ? fs::path(root) : fs::path(CHIMA_DEFAULT_ROOT);
    return base / "p4" / "include";
}

namespace {
ParseOptions parse_options(const FrontEndOptions& o, bool function_mode) {
    ParseOptions po;
    fs::path inc = o.include_dir.empty() ? default_p4_include_dir() : o.include_dir;
    po.include_dirs.push_back(inc);
    if (function_mode)
        po.prelude = {inc / "core.p4", inc / "v1model.p4", inc / "headers.p4"};
    return po;
}
}  // namespace

CheckedFunction check_function(const std::string& text, const std::string& file,
                               const std::string& control_name, const FrontEndOptions& options,
                               Diagnostics& diags) {
    CheckedFunction out;
    out.program = std::make_unique<Program>();
    size_t before = diags.list().size();
    parse_into(*out.program, text, file, parse_options(options, true), diags);
    if (out.program->limit_reached)
        return out;  // the program is incomplete: its only diagnostic is the limit
    Checker(*out.program, diags, true).run();
    const Decl* found = nullptr;
    int controls = 0;
    for (const auto& d : out.program->decls) {
        if (d->from_prelude || d->kind != DeclKind::Control)
            continue;
        ++controls;
        if (control_name.empty() || d->name == control_name)
            found = d.get();
    }
    if (!control_name.empty() && !found) {
        diags.error(
            Loc{out.program->sources->names.empty() ? nullptr : &out.program->sources->names.back(),
                1, 1},
            DiagCode::ControlCount, "no control named '" + control_name + "' in this file");
    } else if (control_name.empty() && controls != 1) {
        Loc where{&out.program->sources->names.back(), 1, 1};
        int seen = 0;
        for (const auto& d : out.program->decls)
            if (!d->from_prelude && d->kind == DeclKind::Control && ++seen == 2)
                where = d->loc;
        diags.error(where, DiagCode::ControlCount,
                    "a function file must hold exactly one control (found " +
                        std::to_string(controls) + ")");
        found = nullptr;
    }
    if (diags.list().size() == before)
        out.control = found;
    return out;
}

std::unique_ptr<Program> check_program(const std::string& text, const std::string& file,
                                       const FrontEndOptions& options, Diagnostics& diags) {
    auto prog = std::make_unique<Program>();
    parse_into(*prog, text, file, parse_options(options, false), diags);
    if (!prog->limit_reached)
        Checker(*prog, diags, false).run();
    return prog;
}

CheckedFunction check_function_file(const fs::path& file, const std::string& control_name,
                                    const FrontEndOptions& options) {
    Diagnostics diags;
    auto r = check_function(read_file_or_throw(file), file.string(), control_name, options, diags);
    diags.throw_if_any();
    return r;
}

}  // namespace chima::p4
