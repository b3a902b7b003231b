// `--emit-compose DIR`: the container functions of each host as a compose file that
// podman-compose runs unchanged (CONTAINERS_CONF=DIR/containers.conf podman-compose -f F up -d).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "chima/container/backend.hpp"

namespace chima::container {

// The compose document for one host's functions (services keyed by FunctionSpec::name).
std::string compose_yaml(const std::vector<FunctionSpec>& functions);

// Writes DIR/<host>.compose.yaml per host plus DIR/containers.conf; returns the compose paths.
std::vector<std::string> write_compose_files(
    const std::string& dir, const std::map<std::string, std::vector<FunctionSpec>>& by_host);

}  // namespace chima::container
