#include "chima/deploy/artifacts.hpp"

#include <filesystem>

#include "chima/content_hash.hpp"
#include "chima/error.hpp"
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

Artifacts load_artifacts(const std::string& path) {
    json doc = read_state(path, kArtifactsKind, kArtifactsVersion);
    Artifacts a;
    namespace fs = std::filesystem;
    fs::path base = fs::path(path).parent_path();
    if (!doc.contains("functions") || !doc["functions"].is_array()) {
        throw InputError(SourceMark{path, 0, 0}, "at /functions: expected an array");
    }
    size_t i = 0;
    for (const auto& f : doc["functions"]) {
        std::string where = "at /functions/" + std::to_string(i++);
        auto str = [&](const char* key, bool required) -> std::string {
            if (!f.contains(key)) {
                if (required)
                    throw InputError(SourceMark{path, 0, 0}, where + ": missing \"" + key + "\"");
                return "";
            }
            if (!f[key].is_string()) {
                throw InputError(SourceMark{path, 0, 0}, where + "/" + key + ": expected a string");
            }
            return f[key].get<std::string>();
        };
        FunctionArtifact fa{str("chain", true),    str("name", true),    str("object", true),
                            str("program", false), str("p4info", false), str("hash", false)};
        // Relative paths are relative to the artifacts file.
        if (!fa.object.empty() && fs::path(fa.object).is_relative())
            fa.object = (base / fa.object).string();
        if (!fa.p4info.empty() && fs::path(fa.p4info).is_relative())
            fa.p4info = (base / fa.p4info).string();
        if (!fs::exists(fa.object)) {
            throw InputError(SourceMark{path, 0, 0},
                             where + ": object " + fa.object + " does not exist");
        }
        if (fa.hash.empty())
            fa.hash = hash_file(fa.object);
        a.functions[fa.chain + "/" + fa.name] = fa;
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
