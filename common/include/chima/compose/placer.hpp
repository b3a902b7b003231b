// SLA-aware placement: put a chain's functions where its end-to-end nominal latency is
// smallest, within host capacity and switch slot capacity. Deterministic.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "chima/compose/graph.hpp"
#include "chima/model/service.hpp"
#include "chima/model/topology.hpp"

namespace chima {

// Remaining capacity per node (switch: free slots, host: free container places).
using Capacity = std::map<std::string, int64_t>;

Capacity initial_capacity(const Topology& topo);

// What placement weighs besides nominal latency. Relocation uses it to move as little as
// possible: a function that changes node costs `move_cost`, a degraded node costs its
// extra, and among equal choices the node running fewer functions wins (1 ns per function).
struct PlacementBias {
    std::vector<std::string> current;  // per function of the chain: its node now ("" = none)
    Nanoseconds move_cost = 0;
    std::map<std::string, Nanoseconds> node_cost;  // extra cost of running on a node
    std::map<std::string, int> load;               // functions a node runs now
};

// Node names in chain order. Consumes capacity. InputError when a function has nowhere to
// go (no reachable node of its type with room).
std::vector<std::string> place_chain(const Topology& topo, const SwitchGraph& graph,
                                     const Chain& chain, const std::string& client_switch,
                                     Capacity& capacity, const PlacementBias& bias = {});

}  // namespace chima
