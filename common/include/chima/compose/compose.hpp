// chima-compose's logic: topology + service (+ placement) -> deployment. chima-relocate
// calls the same function with degraded link costs and the previous deployment.
#pragma once

#include <map>
#include <optional>

#include "chima/compose/graph.hpp"
#include "chima/model/deployment.hpp"
#include "chima/model/placement.hpp"
#include "chima/model/service.hpp"
#include "chima/model/topology.hpp"

namespace chima {

struct ComposeInput {
    Topology topology;
    Service service;
    std::optional<Placement> placement;  // the orchestrator's decision; computed when absent
    LinkCosts degraded;                  // extra cost per directed link (relocation)
    const Deployment* previous = nullptr;  // keep slots, ids and addresses stable
    // Relocation (no placement given, `previous` set): what moving a function costs, and
    // extra cost on nodes found degraded (a function segment that was too slow).
    Nanoseconds move_cost = 0;
    std::map<std::string, Nanoseconds> degraded_nodes;
};

// Validates everything, places (when no placement is given), computes label stacks, SLA
// sections and forwarding. InputError (exit 2) with file:line:col on any problem.
Deployment compose(const ComposeInput& input);

// Content hash of a deployment (ignoring its id): stable for the same content.
std::string deployment_hash(const Deployment& d);

}  // namespace chima
