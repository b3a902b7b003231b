// The P4-16 parser: tokens -> AST, with operator precedence as the P4-16 grammar defines it
// (lowest first): ?: , ||, &&, == !=, < > <= >=, |, ^, &, << >>, ++ + - |+| |-|, * / %,
// prefix ! ~ -, postfix . [] (). Note that comparisons bind looser than & ^ | (unlike C).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "chima/p4/ast.hpp"

namespace chima::p4 {

struct ParseOptions {
    // Directories searched for #include (after the including file's own directory).
    std::vector<std::filesystem::path> include_dirs;
    // Files parsed before the main file as if included (the function prelude).
    std::vector<std::filesystem::path> prelude;
};

// Parses `text` (named `file` in diagnostics) and everything it includes into `program`.
// Declarations of the main file have from_prelude == false.
void parse_into(Program& program, const std::string& text, const std::string& file,
                const ParseOptions& options, Diagnostics& diags);

}  // namespace chima::p4
