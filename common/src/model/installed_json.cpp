// Installed <-> installed.json. Every member chima-install writes is required when reading;
// members it does not know are kept in `extra` and written back unchanged.
#include "chima/model/installed.hpp"

#include "chima/model/json_reader.hpp"
#include "chima/segment_id.hpp"
#include "chima/state_file.hpp"

namespace chima {

using nlohmann::json;

const InstalledFunction* Installed::find(const std::string& chain, const std::string& name) const {
    for (const auto& f : functions)
        if (f.chain == chain && f.name == name)
            return &f;
    return nullptr;
}

std::vector<const InstalledFunction*> Installed::of_type(FunctionType type) const {
    std::vector<const InstalledFunction*> out;
    for (const auto& f : functions)
        if (f.type == type)
            out.push_back(&f);
    return out;
}

json to_json(const InstalledFunction& f) {
    json j = f.extra;
    j["chain"] = f.chain;
    j["name"] = f.name;
    j["type"] = to_string(f.type);
    j["node"] = f.node;
    j["state"] = f.state;
    if (f.type == FunctionType::P4) {
        const InstalledSlot& s = f.p4;
        j["slot"] = s.slot;
        j["object"] = s.object;
        j["object_hash"] = s.object_hash;
        j["entries_hash"] = s.entries_hash;
        j["program_id"] = s.program_id;
    } else {
        const InstalledContainer& c = f.container;
        j["ip"] = c.ip.str();
        j["mac"] = c.mac.str();
        j["function_id"] = c.function_id;
        j["netns"] = c.netns;
        j["backend"] = c.backend;
        j["instance"] = c.instance;
        j["id"] = c.id;
        j["pid"] = c.pid;
        j["image"] = c.image;
        j["image_id"] = c.image_id;
        j["env"] = c.env;
        if (!c.capabilities.empty())
            j["capabilities"] = c.capabilities;
        if (c.exit_code)
            j["exit_code"] = *c.exit_code;
        if (c.restarts)
            j["restarts"] = *c.restarts;
    }
    return j;
}

json to_json(const Installed& doc) {
    json j = doc.extra;
    j.update(new_state(kInstalledKind, kInstalledVersion));
    j["deployment"] = doc.deployment;
    j["net"] = doc.net;
    json functions = json::array();
    for (const auto& f : doc.functions)
        functions.push_back(to_json(f));
    j["functions"] = functions;
    if (doc.changes) {
        const InstallChanges& c = *doc.changes;
        j["changes"] = {{"slots_installed", c.slots_installed},
                        {"slots_unchanged", c.slots_unchanged},
                        {"slots_cleared", c.slots_cleared},
                        {"containers_started", c.containers_started},
                        {"containers_unchanged", c.containers_unchanged},
                        {"containers_removed", c.containers_removed}};
    }
    return j;
}

namespace {

InstalledFunction read_function(const JsonReader& r) {
    InstalledFunction f;
    f.chain = r.at("chain").name();
    f.name = r.at("name").name();
    f.node = r.at("node").name();
    f.state = r.at("state").str();
    std::string type = r.at("type").str();
    if (type == "p4") {
        f.type = FunctionType::P4;
        InstalledSlot& s = f.p4;
        s.slot = static_cast<uint32_t>(r.at("slot").integer(1, CHIMA_SID_ARG_MAX, "function slot"));
        s.object = r.at("object").str();
        s.object_hash = r.at("object_hash").str();
        // The first version 1 files had no entries hash: "" makes the slot count as changed
        // (reloaded once), as the tools that read them then did.
        s.entries_hash = r.has("entries_hash") ? r.at("entries_hash").str() : "";
        s.program_id = r.has("program_id") ? r.at("program_id").uint32() : 0;
        f.extra = unknown_members(r, {"chain", "name", "type", "node", "state", "slot", "object",
                                      "object_hash", "entries_hash", "program_id"});
    } else if (type == "container") {
        f.type = FunctionType::Container;
        InstalledContainer& c = f.container;
        c.ip = r.at("ip").ipv4();
        c.mac = r.at("mac").mac();
        c.function_id = static_cast<uint32_t>(
            r.at("function_id").integer(1, CHIMA_SID_ARG_MAX, "container function id (18 bits)"));
        // The instance and its netns are removed by these names: they must be names.
        c.netns = r.at("netns").derived_name();
        c.backend = r.at("backend").str();
        if (c.backend != "podman" && c.backend != "docker" && c.backend != "process") {
            r.at("backend").fail("unknown backend '" + c.backend +
                                 "' (expected podman, docker or process)");
        }
        c.instance = r.at("instance").derived_name();
        c.id = r.at("id").str();
        c.pid = r.at("pid").integer();
        c.image = r.at("image").str();
        c.image_id = r.at("image_id").str();
        c.env = r.at("env").string_map();
        if (r.has("capabilities"))
            c.capabilities = capability_list(r.at("capabilities"));
        if (r.has("exit_code"))
            c.exit_code = r.at("exit_code").integer();
        if (r.has("restarts"))
            c.restarts = r.at("restarts").uint64();
        f.extra =
            unknown_members(r, {"chain", "name", "type", "node", "state", "ip", "mac",
                                "function_id", "netns", "backend", "instance", "id", "pid", "image",
                                "image_id", "env", "capabilities", "exit_code", "restarts"});
    } else {
        r.at("type").fail("unknown function type '" + type + "' (expected p4 or container)");
    }
    return f;
}

}  // namespace

InstalledFunction installed_function_from_json(const json& entry, const std::string& file,
                                               const std::string& pointer) {
    return read_function(JsonReader(entry, file, pointer));
}

Installed installed_from_json(const json& doc, const std::string& file) {
    JsonReader r(doc, file);
    check_state_header(r, kInstalledKind, kInstalledVersion);
    Installed out;
    out.deployment = r.at("deployment").str();
    out.net = r.at("net").name();
    for (const auto& f : r.at("functions").items()) {
        out.functions.push_back(read_function(f));
        const InstalledFunction& added = out.functions.back();
        if (&out.find(added.chain, added.name)->name != &added.name)
            f.at("name").fail("duplicate function '" + added.key() + "'");
    }
    if (r.has("changes")) {
        // A summary nothing reads back; the first files had only the slot counters.
        JsonReader c = r.at("changes");
        auto count = [&c](const char* key) -> uint64_t {
            return c.has(key) ? c.at(key).uint64() : 0;
        };
        out.changes = InstallChanges{count("slots_installed"),      count("slots_unchanged"),
                                     count("slots_cleared"),        count("containers_started"),
                                     count("containers_unchanged"), count("containers_removed")};
    }
    out.extra =
        unknown_members(r, {"kind", "version", "deployment", "net", "functions", "changes"});
    return out;
}

Installed load_installed(const std::string& path) {
    return installed_from_json(read_state(path, kInstalledKind, kInstalledVersion), path);
}

}  // namespace chima
