#include "chima/error.hpp"

#include <cerrno>
#include <cstring>

namespace chima {

std::string SourceMark::str() const {
    if (line <= 0) return file;
    return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

namespace {
std::string with_mark(const SourceMark& mark, const std::string& message) {
    if (mark.file.empty() && mark.line <= 0) return message;
    return mark.str() + ": " + message;
}

std::string join_messages(const std::vector<InputError>& errors) {
    std::string out;
    for (const auto& e : errors) {
        if (!out.empty()) out += "\n";
        out += e.what();
    }
    return out;
}
}  // namespace

InputError::InputError(const SourceMark& mark, const std::string& message, std::string hint)
    : Error(ExitCode::BadInput, with_mark(mark, message), std::move(hint)),
      mark_(mark),
      detail_(message) {}

InputErrors::InputErrors(std::vector<InputError> errors)
    : Error(ExitCode::BadInput, join_messages(errors)), errors_(std::move(errors)) {}

void throw_errno(const std::string& what) {
    throw RuntimeError(what + ": " + std::strerror(errno));
}

}  // namespace chima
