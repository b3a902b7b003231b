// Crash safety of a relocation (see docs/architecture.md, Crash safety): before it creates
// anything, apply_relocation records durably what it may create (the intent); before it
// publishes, what finishing takes. A run killed at any point leaves a network that the intent
// file describes beside the state files, and the next tool that changes the network
// (chima-install, chima-route, chima-relocate, each under the network's lock) finishes the
// relocation or undoes it (recover_relocation) before it does its own work.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "chima/deploy/install.hpp"
#include "chima/device/registry.hpp"
#include "chima/model/deployment.hpp"
#include "chima/model/installed.hpp"

namespace chima::relocate {

struct RelocationIntent {
    enum class Phase {
        Make,     // creating the new deployment beside the old: undo it
        Publish,  // the paths switched, state files staged: finish it
    };
    Phase phase = Phase::Make;
    std::string net;
    Deployment current, next;
    std::optional<Installed> installed;  // installed.json before the relocation
    std::string artifacts;               // artifacts.json, to restore reloaded slots
    // Make: every instance and slot the relocation may create (a superset).
    std::vector<InstalledFunction> containers;
    std::vector<deploy::SlotRef> slots;
    // The state files (target, temporary file): in the make phase the targets only (their
    // staged temporary files go on an undo), in the publish phase the staged files to rename;
    // then the old instances and slots to take down.
    std::vector<std::pair<std::string, std::string>> staged;
    std::vector<InstalledFunction> retire;
    std::vector<deploy::SlotRef> stale;
};

nlohmann::json to_json(const RelocationIntent& intent);
// InputError naming the JSON path when the document is not an intent record.
RelocationIntent intent_from_json(const nlohmann::json& doc, const std::string& file);

// <run_dir>/<net>/relocation-intent.json (chima/file_lock.hpp).
std::string intent_path(const std::string& net);
// Written atomically and fsynced: on disk before the caller goes on.
void record_intent(const RelocationIntent& intent);
void clear_intent(const std::string& net);

// What recover_relocation did: "finished" or "undone", from and to which deployment.
struct Recovery {
    std::string action;
    std::string from, to;
    Deployment serving;  // the deployment the network serves now
    nlohmann::json to_json() const;
};

// When a relocation of `net` was interrupted (its intent file exists), finishes it (publish
// phase) or undoes it (make phase) on `devices`, then removes the intent file. Call it under
// the network's lock (lock_network). A failure (RuntimeError) leaves the intent file for the
// next run. nullopt when there was nothing to do.
std::optional<Recovery> recover_relocation(const std::string& net, device::DeviceRegistry& devices);

}  // namespace chima::relocate
