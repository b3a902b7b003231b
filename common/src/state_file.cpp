#include "chima/state_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "chima/error.hpp"
#include "chima/staged_file.hpp"

namespace chima {

namespace {

// 1-based line and column of a byte offset.
SourceMark mark_of_offset(const std::string& text, size_t offset, const std::string& file) {
    SourceMark m{file, 1, 1};
    for (size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++m.line;
            m.column = 1;
        } else {
            ++m.column;
        }
    }
    return m;
}

}  // namespace

void write_file_atomic(const std::string& path, const std::string& content) {
    std::vector<StagedFile> staged;
    staged.emplace_back(path, content);
    publish(staged);
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw InputError(SourceMark{path, 0, 0}, "cannot read file");
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

nlohmann::json parse_json(const std::string& text, const std::string& file) {
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        size_t at = e.byte > 0 ? e.byte - 1 : 0;
        std::string msg = e.what();
        // nlohmann's message starts with "[json.exception.parse_error.101] parse error at line
        // L, column C: "; keep only the reason.
        auto colon = msg.find(": ");
        if (colon != std::string::npos)
            msg = msg.substr(colon + 2);
        throw InputError(mark_of_offset(text, at, file), "invalid JSON: " + msg);
    } catch (const nlohmann::json::exception& e) {
        // A number beyond a double ("number overflow parsing '1e345'") is out_of_range, with
        // no position: the quoted text's first occurrence is where it is.
        std::string msg = e.what();
        auto colon = msg.find("] ");
        if (colon != std::string::npos)
            msg = msg.substr(colon + 2);
        size_t open = msg.find('\''), close = msg.rfind('\'');
        size_t at = 0;
        if (open != std::string::npos && close > open + 1)
            at = text.find(msg.substr(open + 1, close - open - 1));
        throw InputError(mark_of_offset(text, at == std::string::npos ? 0 : at, file),
                         "invalid JSON: " + msg);
    }
}

std::optional<StateHeaderProblem> state_header_problem(const nlohmann::json& doc,
                                                       const std::string& kind, int max_version) {
    const std::string no_kind =
        "not a CHIMA state file (no \"kind\"); expected kind '" + kind + "'";
    if (!doc.is_object())
        return StateHeaderProblem{"", no_kind};
    auto k = doc.find("kind");
    if (k == doc.end() || !k->is_string())
        return StateHeaderProblem{"kind", no_kind};
    if (*k != kind) {
        return StateHeaderProblem{
            "kind", "wrong kind '" + k->get<std::string>() + "', expected '" + kind + "'"};
    }
    auto v = doc.find("version");
    if (v == doc.end() || !v->is_number_integer())
        return StateHeaderProblem{"version", "'" + kind + "' document has no integer \"version\""};
    // A parsed non-negative integer is held unsigned: compared as such, no large value wraps
    // into the known range.
    bool known =
        v->is_number_unsigned()
            ? v->get<uint64_t>() >= 1 && v->get<uint64_t>() <= static_cast<uint64_t>(max_version)
            : v->get<int64_t>() >= 1 && v->get<int64_t>() <= max_version;
    if (!known) {
        return StateHeaderProblem{"version", "unknown " + kind + " version " + v->dump() +
                                                 " (this tool reads versions 1.." +
                                                 std::to_string(max_version) + ")"};
    }
    return std::nullopt;
}

nlohmann::json read_state(const std::string& path, const std::string& kind, int max_version) {
    auto doc = parse_json(read_file(path), path);
    if (auto problem = state_header_problem(doc, kind, max_version))
        throw InputError(SourceMark{path, 1, 1}, problem->message);
    return doc;
}

nlohmann::json new_state(const std::string& kind, int version) {
    return nlohmann::json{{"kind", kind}, {"version", version}};
}

std::optional<std::string> previous_state_file(const std::optional<std::string>& previous,
                                               const std::optional<std::string>& out) {
    const std::optional<std::string>& path = previous ? previous : out;
    if (path && std::filesystem::exists(*path))
        return path;
    return std::nullopt;
}

}  // namespace chima
