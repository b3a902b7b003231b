// Forwarding for traffic CHIMA does not manage: where each switch sends frames for each
// endpoint. chima-compose stores it in the deployment; chima-net loads the part the
// topology alone decides (client, collector, hosts) before any deployment exists.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "chima/model/deployment.hpp"

namespace chima {

using NextPortTable = std::map<std::string, std::map<std::string, uint32_t>>;

// The client, the collector (when separate) and every compute host.
std::vector<NetEndpoint> topology_endpoints(const Topology& topo);

// next[S][D]: the port of switch S towards switch D, for every D that has an endpoint.
// Shortest paths by nominal delay; deterministic.
NextPortTable next_ports(const Topology& topo, const std::vector<NetEndpoint>& endpoints);

// One exact entry per endpoint reachable from `sw`.
std::vector<ForwardingEntry> forwarding_entries(const std::string& sw,
                                                const std::vector<NetEndpoint>& endpoints,
                                                const NextPortTable& next);

}  // namespace chima
