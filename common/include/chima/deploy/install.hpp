// chima-install's logic for P4 functions on eBPF switches: each function's program into
// its slot, touching only what changed since the previous installed.json.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "chima/deploy/artifacts.hpp"
#include "chima/model/deployment.hpp"

namespace chima::deploy {

inline constexpr const char* kInstalledKind = "chima.installed";
inline constexpr int kInstalledVersion = 1;

struct SlotChanges {
    size_t installed = 0;  // slots loaded now
    size_t unchanged = 0;  // already serving the same object
    size_t cleared = 0;    // old slots emptied
};

// Installs every P4 function of `d` into its switch slot in network `net`, make before
// break: new slots are loaded first, then slots the deployment no longer uses (per
// `previous`, an earlier installed.json) are emptied. Returns the "functions" entries of
// the new installed.json (P4 part) and counts what changed.
nlohmann::json install_p4_functions(const Deployment& d, const Artifacts& artifacts,
                                    const std::string& net,
                                    const std::optional<nlohmann::json>& previous,
                                    SlotChanges& changes);

}  // namespace chima::deploy
