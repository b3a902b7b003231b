// The P4-16 lexer: identifiers, integer literals with optional width (8w255, 4s3), strings,
// punctuation, and preprocessor lines (only #include is honoured; the rest is refused).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "chima/p4/diagnostics.hpp"

namespace chima::p4 {

enum class TokKind { End, Ident, Number, String, Punct, Include };

struct Token {
    TokKind kind = TokKind::End;
    std::string text;  // identifier, punctuation, string contents, include target
    Loc loc;
    // Number: value, and the width prefix when one was written (8w1 -> width 8).
    uint64_t value = 0;
    int width = -1;
    bool is_signed = false;
    bool system_include = false;  // #include <x> rather than "x"
};

// Tokenizes one file. Errors go to `diags`; the token list always ends with End.
std::vector<Token> lex(const std::string& text, const std::string* file, Diagnostics& diags);

}  // namespace chima::p4
