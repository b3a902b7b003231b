// Forwarding for traffic CHIMA does not manage: where each switch sends frames for each
// endpoint. chima-compose stores it in the deployment; chima-net loads the part the
// topology alone decides (client, collector, hosts) before any deployment exists.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "chima/model/deployment.hpp"

namespace chima {

// The client, the collector (when separate) and every compute host.
std::vector<NetEndpoint> topology_endpoints(const Topology& topo);

// next[S][D] for every switch D that has an endpoint (the exact entries are
// forwarding_entries() in chima/model/deployment.hpp).
// Shortest paths by nominal delay; deterministic.
NextPortTable next_ports(const Topology& topo, const std::vector<NetEndpoint>& endpoints);

}  // namespace chima
