#include "chima/p4/diagnostics.hpp"

#include "chima/p4/limits.hpp"

namespace chima::p4 {

std::string Diagnostic::str() const {
    return mark.str() + ": [" + code + "] " + message;
}

void Diagnostics::error(const Loc& loc, DiagCode id, const std::string& message) {
    // A file that is wrong everywhere (binary data, say) would otherwise report once per
    // byte: keep the first kMaxDiagnostics, then one E0603 where the rest start.
    if (list_.size() > kMaxDiagnostics)
        return;
    if (list_.size() == kMaxDiagnostics) {
        list_.push_back({loc.mark(), std::string(code_text(DiagCode::TooManyErrors)),
                         "too many errors (more than " + std::to_string(kMaxDiagnostics) +
                             "), the rest are not reported"});
        return;
    }
    const std::string code(code_text(id));
    // One diagnostic per position and code: a cascade of the same error is noise.
    SourceMark mark = loc.mark();
    for (const auto& d : list_) {
        if (d.mark.file == mark.file && d.mark.line == mark.line && d.mark.column == mark.column &&
            d.code == code)
            return;
    }
    list_.push_back({std::move(mark), code, message});
}

void Diagnostics::throw_if_any() const {
    if (list_.empty())
        return;
    std::vector<InputError> errors;
    errors.reserve(list_.size());
    for (const auto& d : list_)
        errors.emplace_back(d.mark, "[" + d.code + "] " + d.message);
    throw InputErrors(std::move(errors));
}

}  // namespace chima::p4
