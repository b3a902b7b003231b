// installed.json: what chima-install (and chima-relocate) put in place for a deployment --
// each P4 function's switch slot and each container function's running instance. The next
// run compares against it so that only what changed is touched; chima-install --watch keeps
// the container entries' state up to date. See chima-install(1), OUTPUT.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "chima/model/service.hpp"
#include "chima/units.hpp"

namespace chima {

inline constexpr const char* kInstalledKind = "chima.installed";
inline constexpr int kInstalledVersion = 1;

// A P4 function's slot: "slot", "object", "object_hash", "entries_hash", "program_id".
struct InstalledSlot {
    uint32_t slot = 0;
    std::string object;        // the BPF object loaded
    std::string object_hash;   // its content hash (artifacts.json)
    std::string entries_hash;  // fingerprint of the table entries the deployment gives
    uint32_t program_id = 0;   // the kernel's id of the program now in the slot
};

// A container function's instance.
struct InstalledContainer {
    Ipv4 ip;
    Mac mac;
    uint32_t function_id = 0;
    std::string netns;     // without the "chima.NET." prefix
    std::string backend;   // podman | docker | process
    std::string instance;  // container or process name
    std::string id;        // container id, or "pid:N" (process backend)
    int64_t pid = 0;       // 0 when not running
    std::string image, image_id;
    std::map<std::string, std::string> env;
    std::vector<std::string> capabilities;  // kept; every other one dropped
    std::optional<int64_t> exit_code;       // set by the watch when the function exited
    std::optional<uint64_t> restarts;       // set by the watch when it restarted the function
};

// One entry of "functions": chain, name, type, node, state and, by type, the slot ("p4") or
// the instance ("container").
struct InstalledFunction {
    std::string chain, name;
    FunctionType type = FunctionType::P4;
    std::string node;   // switch (P4) or compute host (container)
    std::string state;  // "installed" (P4); "running", "exited", "restart-failed" (container)
    InstalledSlot p4;   // type P4 only
    InstalledContainer container;                     // type Container only
    nlohmann::json extra = nlohmann::json::object();  // members this type does not know, kept

    // "chain/name", the key functions are matched by between runs.
    std::string key() const { return chain + "/" + name; }
};

// "changes": what the run that wrote the document did (chima-install only).
struct InstallChanges {
    uint64_t slots_installed = 0, slots_unchanged = 0, slots_cleared = 0;
    uint64_t containers_started = 0, containers_unchanged = 0, containers_removed = 0;
};

struct Installed {
    std::string deployment;  // the id of the deployment installed
    std::string net;
    std::vector<InstalledFunction> functions;  // container functions first, then P4
    std::optional<InstallChanges> changes;
    nlohmann::json extra = nlohmann::json::object();  // top-level members not known here, kept

    const InstalledFunction* find(const std::string& chain, const std::string& name) const;
    // The entries of one type, in document order.
    std::vector<const InstalledFunction*> of_type(FunctionType type) const;
};

nlohmann::json to_json(const InstalledFunction& f);
nlohmann::json to_json(const Installed& doc);
// `file` names the document in errors; `pointer` is where the entry sits in it.
InstalledFunction installed_function_from_json(const nlohmann::json& entry, const std::string& file,
                                               const std::string& pointer = {});
Installed installed_from_json(const nlohmann::json& doc, const std::string& file);
// Reads and checks an installed.json file (InputError naming the file and JSON pointer).
Installed load_installed(const std::string& path);

}  // namespace chima
