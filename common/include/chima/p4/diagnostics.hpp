// Diagnostics of the P4 front end: every error carries file:line:col and a stable code.
//
// The codes are part of the interface (tests and editors match on them); they are all in
// the catalog of chima/p4/diagnostic_codes.hpp, which chima-compile(1) lists.
// A compiler phase collects all diagnostics of a file, then stops (InputErrors, exit 2).
#pragma once

#include <string>
#include <vector>

#include "chima/error.hpp"
#include "chima/p4/diagnostic_codes.hpp"

namespace chima::p4 {

// A position in a source file. `file` points into the SourceSet that owns the text.
struct Loc {
    const std::string* file = nullptr;
    int line = 0;
    int col = 0;

    SourceMark mark() const { return SourceMark{file ? *file : std::string(), line, col}; }
};

// A diagnostic owns its position (file name copied), so it outlives the parsed program.
struct Diagnostic {
    SourceMark mark;
    std::string code;  // "E0312"
    std::string message;

    // "fw.p4:12:5: [E0312] parser blocks are not allowed in a function"
    std::string str() const;
};

class Diagnostics {
  public:
    void error(const Loc& loc, DiagCode code, const std::string& message);
    bool empty() const { return list_.empty(); }
    const std::vector<Diagnostic>& list() const { return list_; }
    // Throws InputErrors with every diagnostic when there is at least one.
    void throw_if_any() const;

  private:
    std::vector<Diagnostic> list_;
};

}  // namespace chima::p4
