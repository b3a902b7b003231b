// chima-route's logic: load a deployment's label stacks into the host clients and the
// forwarding entries of its endpoints into the switches of an emulated network.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "chima/model/deployment.hpp"

namespace chima::deploy {

inline constexpr const char* kRoutesKind = "chima.routes";
inline constexpr int kRoutesVersion = 1;

// Applies the deployment's flows and forwarding to network `net`. Every update replaces
// the entry in one atomic map update, so running it twice changes nothing the second
// time. Flows listed in `previous` (an earlier routes.json) that the deployment no longer
// has are removed. Returns the new routes.json document.
nlohmann::json apply_routes(const Deployment& d, const std::string& net,
                            const std::optional<nlohmann::json>& previous);

}  // namespace chima::deploy
