// Placement by dynamic programming over the chain: the cost of putting function i at a
// location is the cheapest way to get there from function i-1's location. One
// multi-source Dijkstra per function computes that for all locations at once, so a chain
// costs O(n * E log V) whatever the number of candidate locations.
#include "chima/compose/placer.hpp"

#include <algorithm>

namespace chima {

Capacity initial_capacity(const Topology& topo) {
    Capacity c;
    for (const auto& s : topo.switches) c[s.name] = s.slots;
    for (const auto& h : topo.hosts) c[h.name] = h.capacity;
    return c;
}

namespace {

constexpr Nanoseconds kInf = SwitchGraph::kUnreachable;

// A candidate location: a switch (P4) or a host (container).
struct Location {
    std::string node;
    uint32_t sw;          // switch index (the host's switch for a host)
    Nanoseconds access;   // host access-link delay (0 for a switch)
};

struct Step {
    std::vector<Location> locations;
    std::vector<Nanoseconds> cost;  // best total cost with the function at locations[k]
    std::vector<int32_t> from;      // index of the previous function's location (-1: client)
};

std::vector<Location> candidates(const Topology& topo, const SwitchGraph& graph,
                                 const Function& f, const Capacity& cap) {
    std::vector<Location> out;
    auto has_room = [&](const std::string& n) {
        auto it = cap.find(n);
        return it != cap.end() && it->second > 0;
    };
    if (f.type == FunctionType::P4) {
        for (const auto& s : topo.switches) {
            if (s.target == SwitchTarget::Ebpf || s.target == SwitchTarget::P4Runtime) {
                if (has_room(s.name)) out.push_back({s.name, graph.index(s.name), 0});
            }
        }
    } else {
        for (const auto& h : topo.hosts) {
            if (has_room(h.name)) out.push_back({h.name, graph.index(h.at.sw), h.at.delay});
        }
    }
    return out;
}

// Best locations for functions [first, n) of the chain, leaving from switch `from_sw`.
// The bias of putting function i at node: staying is free, moving costs, degraded and
// loaded nodes cost a little more.
Nanoseconds bias_of(const PlacementBias& bias, size_t i, const std::string& node) {
    Nanoseconds extra = 0;
    if (i < bias.current.size() && !bias.current[i].empty() && bias.current[i] != node) {
        extra += bias.move_cost;
    }
    if (auto it = bias.node_cost.find(node); it != bias.node_cost.end()) extra += it->second;
    if (auto it = bias.load.find(node); it != bias.load.end()) {
        bool self = i < bias.current.size() && bias.current[i] == node;  // not its own rival
        extra += it->second - (self ? 1 : 0);
    }
    return extra;
}

std::vector<Location> solve(const Topology& topo, const SwitchGraph& graph, const Chain& chain,
                            size_t first, uint32_t from_sw, const Capacity& cap,
                            const PlacementBias& bias) {
    const size_t n = graph.size();
    // Cost of leaving the previous function, per switch, and which location it came from.
    std::vector<Nanoseconds> start(n, kInf);
    std::vector<int32_t> origin(n, -1);
    start[from_sw] = 0;
    std::vector<Step> steps;
    for (size_t i = first; i < chain.functions.size(); ++i) {
        const Function& f = chain.functions[i];
        Step step;
        step.locations = candidates(topo, graph, f, cap);
        if (step.locations.empty()) {
            throw InputError(f.mark, "no " + std::string(f.type == FunctionType::P4
                                                             ? "switch has a free function slot"
                                                             : "compute host has room") +
                                         " for function '" + f.name + "'");
        }
        // Multi-source Dijkstra: the origin of each switch follows its predecessor.
        std::vector<int32_t> root;
        auto reach = graph.shortest(start, nullptr, &root);
        std::vector<int32_t> reach_origin(n, -1);
        for (size_t s = 0; s < n; ++s) reach_origin[s] = root[s] == -1 ? -1 : origin[root[s]];
        for (const auto& loc : step.locations) {
            Nanoseconds c = reach[loc.sw];
            if (c < kInf) c += loc.access + bias_of(bias, i, loc.node);
            step.cost.push_back(c);
            step.from.push_back(reach_origin[loc.sw]);
        }
        // Next sources: leaving each location (back through the access link for a host).
        std::fill(start.begin(), start.end(), kInf);
        std::fill(origin.begin(), origin.end(), -1);
        for (size_t k = 0; k < step.locations.size(); ++k) {
            if (step.cost[k] >= kInf) continue;
            Nanoseconds leave = step.cost[k] + step.locations[k].access;
            uint32_t sw = step.locations[k].sw;
            if (leave < start[sw]) {  // strict: the first (lowest-ordered) location wins ties
                start[sw] = leave;
                origin[sw] = static_cast<int32_t>(k);
            }
        }
        steps.push_back(std::move(step));
    }
    // Best final location, then walk back.
    const Step& last = steps.back();
    int32_t best = -1;
    for (size_t k = 0; k < last.locations.size(); ++k) {
        if (last.cost[k] < kInf && (best == -1 || last.cost[k] < last.cost[best]))
            best = static_cast<int32_t>(k);
    }
    std::vector<Location> choice(steps.size());
    for (int i = static_cast<int>(steps.size()) - 1; i >= 0; --i) {
        if (best < 0) {
            const Function& f = chain.functions[first + i];
            throw InputError(f.mark, "function '" + f.name +
                                         "': no node that can run it is reachable from the "
                                         "client");
        }
        choice[i] = steps[i].locations[best];
        best = steps[i].from[best];
    }
    return choice;
}

}  // namespace

std::vector<std::string> place_chain(const Topology& topo, const SwitchGraph& graph,
                                     const Chain& chain, const std::string& client_switch,
                                     Capacity& capacity, const PlacementBias& bias) {
    // The DP does not see that one chain may fill a node it uses several times. When the
    // best solution overfills a node at function k, functions before k are kept (they
    // fit), the node is now full, and the rest of the chain is solved again from there.
    std::vector<std::string> nodes;
    uint32_t from_sw = graph.index(client_switch);
    for (size_t first = 0; first < chain.functions.size();) {
        auto choice = solve(topo, graph, chain, first, from_sw, capacity, bias);
        std::map<std::string, int64_t> used;
        size_t k = 0;
        while (k < choice.size() && ++used[choice[k].node] <= capacity.at(choice[k].node)) ++k;
        for (size_t i = 0; i < k; ++i) {
            nodes.push_back(choice[i].node);
            --capacity[choice[i].node];
        }
        from_sw = choice[k == 0 ? 0 : k - 1].sw;
        first += k;
    }
    return nodes;
}

}  // namespace chima
