// State files: JSON documents with "kind" and "version", written atomically.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace chima {

// Writes `content` to `path` so that a crash never leaves a half file: a temp file in the
// same directory, fsync, rename over the target, fsync of the directory (a StagedFile
// published at once). The temp files an interrupted earlier write left are removed first.
void write_file_atomic(const std::string& path, const std::string& content);

// Reads a whole file; InputError (exit 2) naming the file when it cannot be read.
std::string read_file(const std::string& path);

// Parses JSON text; syntax errors become InputError with file:line:col.
nlohmann::json parse_json(const std::string& text, const std::string& file);

// What is wrong with the "kind" and "version" of a state document, if anything: the member
// at fault ("kind" or "version", "" for the document itself) and the message. The one check
// of every state document's header: read_state reports it at the file, the model's readers
// (check_state_header in model/json_reader.hpp) at the member's JSON pointer.
struct StateHeaderProblem {
    std::string member;
    std::string message;
};
std::optional<StateHeaderProblem> state_header_problem(const nlohmann::json& doc,
                                                       const std::string& kind, int max_version);

// Reads a state document and checks its kind and version (state_header_problem): a wrong
// kind or an unknown version is an InputError naming the file.
nlohmann::json read_state(const std::string& path, const std::string& kind, int max_version);

// A new document {"kind": kind, "version": version}.
nlohmann::json new_state(const std::string& kind, int version);

// The state file a tool updates reads what it had before from `previous` when given, else
// from its own output file; nullopt when there is none (or it does not exist yet).
std::optional<std::string> previous_state_file(const std::optional<std::string>& previous,
                                               const std::optional<std::string>& out);

}  // namespace chima
