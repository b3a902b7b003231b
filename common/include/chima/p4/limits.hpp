// The P4 front end's limits (chima-compile(1), "LIMITS"). Every walk of the front end and
// the back end recurses over the syntax tree, so the parser bounds how deep and how long a
// tree can get, and the checker bounds what inlining makes of it; input beyond a limit is a
// diagnostic with its own code (E06xx), never a stack overflow or a runaway compile.
#pragma once

#include <cstddef>
#include <cstdint>

namespace chima::p4 {

// Nested blocks and statements (if, switch, declarations inside declarations), and,
// separately, nested parentheses, sub-expressions, operands of unary operators and casts,
// and type arguments (E0600).
inline constexpr int kMaxNesting = 128;

// Operands and operators of one expression, counting all its sub-expressions (E0601).
inline constexpr int kMaxExpressionLength = 1024;

// Nested #include files (E0600).
inline constexpr int kMaxIncludeDepth = 32;

// Action bodies the back end inlines into one function: each call of an action and, for
// each apply of a table, each of its actions and its default action, counted through
// nested calls (E0602). The nesting of the inlined code counts against kMaxNesting.
inline constexpr std::uint64_t kMaxInlinedBodies = 1024;

// Widths of bit<W>, int<W> and varbit<W> in whole programs (a function allows 64: E0408).
inline constexpr std::uint64_t kMaxTypeWidth = 1u << 16;

// Register and counter sizes (number of cells), as for tables (E0510).
inline constexpr std::uint64_t kMaxInstanceSize = 1u << 24;

// Diagnostics kept per run; the next one is replaced by one E0603 and the rest are dropped.
inline constexpr std::size_t kMaxDiagnostics = 100;

}  // namespace chima::p4
