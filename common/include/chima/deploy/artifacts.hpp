// artifacts.json: what chima-compile built for a deployment, per P4 function: the BPF
// object for the eBPF target (and its P4Info), keyed by chain and function name.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace chima::deploy {

inline constexpr const char* kArtifactsKind = "chima.artifacts";
inline constexpr int kArtifactsVersion = 1;

struct FunctionArtifact {
    std::string chain, name;
    std::string object;   // the BPF object of the function slot
    std::string program;  // its program name ("" = the object's only TC program)
    std::string p4info;   // P4Info-like JSON of its tables ("" = none)
    std::string hash;     // content hash of the object
};

struct Artifacts {
    std::map<std::string, FunctionArtifact> functions;  // key "chain/name"
    const FunctionArtifact* find(const std::string& chain, const std::string& name) const;
};

// Reads artifacts.json; InputError naming its JSON pointer for a bad entry: a chain or
// function name against the rule, a duplicate, a relative path leaving the file's directory
// (the build directory; absolute paths are explicit and allowed), an object that is not a
// regular file holding an ELF BPF object, a P4Info that is not a regular file.
Artifacts load_artifacts(const std::string& path);

// What is wrong with a file as a BPF object ("" when nothing): see load_artifacts.
std::string check_bpf_object(const std::string& path);
nlohmann::json to_json(const Artifacts& a);

// 16 hex digits of a file's content hash (FNV-1a 64).
std::string hash_file(const std::string& path);

}  // namespace chima::deploy
