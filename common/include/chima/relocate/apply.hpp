// Applying a relocation to an emulated network: the difference only, make before break,
// with a timeline of the parts the paper's Table II reports.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "chima/model/deployment.hpp"

namespace chima::relocate {

struct ApplyFiles {
    std::string net;
    std::string artifacts;  // artifacts.json (P4 objects)
    std::string installed;  // installed.json, read and rewritten
    std::string routes;     // routes.json, read and rewritten
    std::string deployment_out;  // where the new deployment goes ("" = nowhere)
    std::string backend = "auto";
};

// Moves the network from `current` to `next`: new containers and function slots (in
// parallel), then the label stacks, then the state files. On a failure the previous
// deployment is put back (its slots, containers and stacks) and RuntimeError is thrown.
// Returns the timeline: {"type":"timeline", "p4", "containers", "paths", "metadata",
// "total"} each with start/end wall-clock ns and duration.
nlohmann::json apply_relocation(const Deployment& current, const Deployment& next,
                                const ApplyFiles& files);

}  // namespace chima::relocate
