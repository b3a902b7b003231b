// Applying a relocation to the devices of a network: the difference only, make before break,
// with a timeline of the parts the paper's Table II reports.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "chima/device/registry.hpp"
#include "chima/model/deployment.hpp"

namespace chima::relocate {

struct ApplyFiles {
    std::string net;             // names the network in the state files and the instances
    std::string artifacts;       // artifacts.json (P4 objects)
    std::string installed;       // installed.json, read and rewritten
    std::string routes;          // routes.json, read and rewritten
    std::string deployment_out;  // where the new deployment goes ("" = nowhere)
    std::string backend = "auto";
};

// Moves the network from `current` to `next`, make before break (see chima-relocate(1)):
// new slots first, then containers (up and serving) and forwarding in parallel; the new
// state files staged (written, fsynced); the label stacks switched; the state files
// published; old containers and slots removed. Crash-safe: before it creates anything and
// again before it publishes, it records its intent (relocate/intent.hpp), removed when done. On a failure up to the switch the old deployment keeps
// serving, what was started of the new one is removed, and RuntimeError is thrown.
// Returns the timeline: {"type":"timeline", "p4", "containers", "prepare", "stage",
// "paths", "metadata", "retire", "total"} each with start/end wall-clock ns and duration.
nlohmann::json apply_relocation(const Deployment& current, const Deployment& next,
                                const ApplyFiles& files, device::DeviceRegistry& devices);

}  // namespace chima::relocate
