// Name resolution and type checking of a parsed P4 program, and the function subset rules.
//
// Two entry points share the same checker:
//   check_function: one CHIMA function file (a control with the fixed signature over the
//     prelude p4/include/{core,v1model,headers}.p4), restricted to the function subset
//     of chima-compile(1) ("P4 SUBSET"); everything outside it is refused by name.
//   check_program: a whole v1model program (parsers, controls, package), checked well enough
//     to catch a broken injection where p4c is not installed.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "chima/p4/ast.hpp"
#include "chima/p4/diagnostics.hpp"

namespace chima::p4 {

struct FrontEndOptions {
    // p4/include of the source tree (core.p4, v1model.p4, headers.p4). Empty: from
    // $CHIMA_ROOT (else the build's source root).
    std::filesystem::path include_dir;
};

// The include dir used when FrontEndOptions::include_dir is empty.
std::filesystem::path default_p4_include_dir();

struct CheckedFunction {
    std::unique_ptr<Program> program;
    const Decl* control = nullptr;  // the function: a control in the checked file
};

// Parses and checks one function. `control_name` empty: the file must hold exactly one
// control. Diagnostics (all of them) are appended to `diags`; the result's control is null
// when there were errors.
CheckedFunction check_function(const std::string& text, const std::string& file,
                               const std::string& control_name, const FrontEndOptions& options,
                               Diagnostics& diags);

// Parses and checks a whole program; diagnostics are appended to `diags`.
std::unique_ptr<Program> check_program(const std::string& text, const std::string& file,
                                       const FrontEndOptions& options, Diagnostics& diags);

// Convenience for tools and tests: reads the file, throws InputErrors on any diagnostic.
CheckedFunction check_function_file(const std::filesystem::path& file,
                                    const std::string& control_name = {},
                                    const FrontEndOptions& options = {});

}  // namespace chima::p4
