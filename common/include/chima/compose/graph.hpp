// The switch graph of a topology with nominal link delays, and shortest paths on it.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "chima/model/topology.hpp"

namespace chima {

// Extra cost on a link in one direction (relocation marks degraded links with what was
// measured). Keyed by (from switch, to switch) names.
using LinkCosts = std::map<std::pair<std::string, std::string>, Nanoseconds>;

class SwitchGraph {
public:
    static constexpr Nanoseconds kUnreachable = std::numeric_limits<Nanoseconds>::max() / 4;

    struct Edge {
        uint32_t to;
        uint32_t out_port;  // port on the source switch
        Nanoseconds delay;
    };

    explicit SwitchGraph(const Topology& topo, const LinkCosts& extra = {});

    size_t size() const { return names_.size(); }
    uint32_t index(const std::string& sw) const { return index_.at(sw); }
    const std::string& name(uint32_t i) const { return names_[i]; }
    const std::vector<Edge>& edges(uint32_t i) const { return adj_[i]; }

    // Single/multi-source Dijkstra. `start[i]` is the initial cost at switch i
    // (kUnreachable = not a source). Returns costs; `from` gets the predecessor switch
    // (or -1 for a source). Ties break on hop count then switch order, so results are
    // deterministic.
    // `root`, when given, gets the source switch each switch's best path starts from.
    std::vector<Nanoseconds> shortest(const std::vector<Nanoseconds>& start,
                                      std::vector<int32_t>* from = nullptr,
                                      std::vector<int32_t>* root = nullptr) const;

    // Switch sequence of a shortest path a..b (both included); empty if unreachable.
    // Shortest-path trees are cached per source: composing many chains reuses them.
    std::vector<uint32_t> path(uint32_t a, uint32_t b) const;

    // The port of switch a that leads to neighbour b (0 if not adjacent).
    uint32_t port_to(uint32_t a, uint32_t b) const;
    Nanoseconds delay(uint32_t a, uint32_t b) const;

private:
    std::vector<std::string> names_;
    std::map<std::string, uint32_t> index_;
    std::vector<std::vector<Edge>> adj_;
    struct Tree {
        std::vector<Nanoseconds> dist;
        std::vector<int32_t> pred;
    };
    mutable std::map<uint32_t, Tree> trees_;
};

}  // namespace chima
