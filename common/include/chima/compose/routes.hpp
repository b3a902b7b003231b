// Label stacks and SLA sections of one placed chain.
#pragma once

#include <string>
#include <vector>

#include "chima/compose/graph.hpp"
#include "chima/model/deployment.hpp"

namespace chima {

struct ChainRoutes {
    std::vector<Flow> flows;
    std::vector<Section> sections;
};

// For each leg between consecutive container endpoints (the client first), the forward
// flow and its reverse (replies), each with the switches it crosses and its label stack:
//   [function-end of the source container] then per switch on the path
//   [function SIDs of the P4 functions run there] [int-to-host before a container] adjacency.
// Sections: the links and container functions whose sum each SLA bounds, following the
// forward direction. InputError when a stack is deeper than 8.
ChainRoutes route_chain(const Deployment& d, const SwitchGraph& graph, const Chain& chain,
                        const std::string& client_name, const std::string& client_sw,
                        uint32_t client_port);

}  // namespace chima
