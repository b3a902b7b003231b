// Errors and exit codes shared by every tool.
//
// Exit codes: 0 ok, 1 runtime failure (a device refused, a process died), 2 bad input or
// usage. Code deep inside throws; each tool's main has exactly one catch (run_tool).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace chima {

enum class ExitCode : int { Ok = 0, Runtime = 1, BadInput = 2 };

// A position in an input file. line and column are 1-based; 0 means "unknown".
struct SourceMark {
    std::string file;
    int line = 0;
    int column = 0;

    // "file:line:col" (or just "file" when the position is unknown).
    std::string str() const;
};

// Base of all errors that carry an exit code.
class Error : public std::runtime_error {
public:
    Error(ExitCode code, const std::string& message, std::string hint = {})
        : std::runtime_error(message), code_(code), hint_(std::move(hint)) {}
    ExitCode code() const { return code_; }
    const std::string& hint() const { return hint_; }

private:
    ExitCode code_;
    std::string hint_;
};

// Bad input: the message is prefixed with file:line:col when a mark is known.
class InputError : public Error {
public:
    InputError(const SourceMark& mark, const std::string& message, std::string hint = {});
    explicit InputError(const std::string& message, std::string hint = {})
        : Error(ExitCode::BadInput, message, std::move(hint)) {}
    const SourceMark& mark() const { return mark_; }
    const std::string& detail() const { return detail_; }

private:
    SourceMark mark_;
    std::string detail_;
};

// Several input errors found in one pass (a compiler collects all errors of a phase).
class InputErrors : public Error {
public:
    explicit InputErrors(std::vector<InputError> errors);
    const std::vector<InputError>& errors() const { return errors_; }

private:
    std::vector<InputError> errors_;
};

// A runtime failure: the input was fine, the system refused.
class RuntimeError : public Error {
public:
    explicit RuntimeError(const std::string& message, std::string hint = {})
        : Error(ExitCode::Runtime, message, std::move(hint)) {}
};

// RuntimeError with strerror(errno) appended.
[[noreturn]] void throw_errno(const std::string& what);

}  // namespace chima
