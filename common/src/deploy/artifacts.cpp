#include "chima/deploy/artifacts.hpp"

#include <cstdint>
#include <filesystem>
#include <fstream>

#include "chima/content_hash.hpp"
#include "chima/error.hpp"
#include "chima/model/json_reader.hpp"
#include "chima/state_file.hpp"

namespace chima::deploy {

using nlohmann::json;

const FunctionArtifact* Artifacts::find(const std::string& chain, const std::string& name) const {
    auto it = functions.find(chain + "/" + name);
    return it == functions.end() ? nullptr : &it->second;
}

std::string hash_file(const std::string& path) {
    return fnv1a_hex(read_file(path));
}

namespace {

namespace fs = std::filesystem;

constexpr uint16_t kElfMachineBpf = 247;  // EM_BPF

// What is wrong with `path` as a BPF object ("" when nothing): it must be a regular file
// (never a device, a FIFO or a directory: reading /dev/zero would not end) holding a 64-bit
// ELF object for the BPF machine. Only its header is read.
std::string bpf_object_problem(const fs::path& path) {
    std::error_code ec;
    auto status = fs::status(path, ec);
    if (ec || !fs::exists(status))
        return "does not exist";
    if (!fs::is_regular_file(status))
        return "is not a regular file";
    std::ifstream in(path, std::ios::binary);
    unsigned char header[20] = {};
    if (!in.read(reinterpret_cast<char*>(header), sizeof header))
        return "is not an ELF object (shorter than an ELF header)";
    if (header[0] != 0x7f || header[1] != 'E' || header[2] != 'L' || header[3] != 'F')
        return "is not an ELF object";
    if (header[4] != 2)
        return "is not a 64-bit ELF object";
    bool little = header[5] == 1;
    uint16_t machine = little ? uint16_t(header[18] | (header[19] << 8))
                              : uint16_t((header[18] << 8) | header[19]);
    if (machine != kElfMachineBpf)
        return "is an ELF object for machine " + std::to_string(machine) + ", not BPF (247)";
    return {};
}

// A path of artifacts.json: relative ones are relative to its directory and must stay in
// it (the build directory); absolute ones are given explicitly and used as they are.
std::string resolve_in(const fs::path& base, const JsonReader& r) {
    std::string given = r.str();
    if (given.empty())
        r.fail("empty path");
    fs::path p(given);
    if (p.is_absolute())
        return p.lexically_normal().string();
    fs::path rel = p.lexically_normal();
    if (rel.empty() || *rel.begin() == "..")
        r.fail("'" + given + "' leaves the build directory " +
               (base.empty() ? std::string(".") : base.string()) +
               " (give an absolute path to use a file elsewhere)");
    return (base / rel).string();
}

}  // namespace

std::string check_bpf_object(const std::string& path) {
    return bpf_object_problem(path);
}

Artifacts load_artifacts(const std::string& path) {
    json doc = read_state(path, kArtifactsKind, kArtifactsVersion);
    JsonReader r(doc, path);
    check_state_header(r, kArtifactsKind, kArtifactsVersion);
    Artifacts a;
    fs::path base = fs::path(path).parent_path();
    for (const auto& f : r.at("functions").items()) {
        FunctionArtifact fa;
        fa.chain = f.at("chain").name();
        fa.name = f.at("name").name();
        fa.object = resolve_in(base, f.at("object"));
        if (auto problem = bpf_object_problem(fa.object); !problem.empty())
            f.at("object").fail("BPF object " + fa.object + " " + problem);
        if (f.has("program"))
            fa.program = f.at("program").str();
        if (f.has("p4info")) {
            fa.p4info = resolve_in(base, f.at("p4info"));
            std::error_code ec;
            if (!fs::is_regular_file(fa.p4info, ec))
                f.at("p4info").fail("P4Info " + fa.p4info + " is not a regular file");
        }
        fa.hash = f.has("hash") ? f.at("hash").str() : hash_file(fa.object);
        std::string key = fa.chain + "/" + fa.name;
        if (!a.functions.emplace(key, fa).second)
            f.at("name").fail("duplicate function '" + key + "'");
    }
    return a;
}

json to_json(const Artifacts& a) {
    json doc = new_state(kArtifactsKind, kArtifactsVersion);
    json fns = json::array();
    for (const auto& [key, f] : a.functions) {
        json j = {{"chain", f.chain}, {"name", f.name}, {"object", f.object}, {"hash", f.hash}};
        if (!f.program.empty())
            j["program"] = f.program;
        if (!f.p4info.empty())
            j["p4info"] = f.p4info;
        fns.push_back(j);
    }
    doc["functions"] = fns;
    return doc;
}

}  // namespace chima::deploy
