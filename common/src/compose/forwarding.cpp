#include "chima/compose/forwarding.hpp"

#include <set>

#include "chima/compose/graph.hpp"

namespace chima {

std::vector<NetEndpoint> topology_endpoints(const Topology& t) {
    std::vector<NetEndpoint> out;
    out.push_back(
        {t.client.name, "client", t.client.ip, t.client.mac, t.client.at.sw, t.client.at.port});
    if (t.collector.separate) {
        const auto& c = t.collector.endpoint;
        out.push_back({c.name, "collector", c.ip, c.mac, c.at.sw, c.at.port});
    }
    for (const auto& h : t.hosts)
        out.push_back({h.name, "host", h.ip, h.mac, h.at.sw, h.at.port});
    return out;
}

NextPortTable next_ports(const Topology& topo, const std::vector<NetEndpoint>& endpoints) {
    SwitchGraph graph(topo);
    NextPortTable next;
    std::set<std::string> targets;
    for (const auto& e : endpoints)
        targets.insert(e.sw);
    for (const auto& target : targets) {
        std::vector<Nanoseconds> start(graph.size(), SwitchGraph::kUnreachable);
        uint32_t t = graph.index(target);
        start[t] = 0;
        std::vector<int32_t> pred;
        auto dist = graph.shortest(start, &pred);  // links are symmetric: pred is the next hop
        for (uint32_t s = 0; s < graph.size(); ++s) {
            if (s == t || dist[s] >= SwitchGraph::kUnreachable)
                continue;
            next[graph.name(s)][target] = graph.port_to(s, static_cast<uint32_t>(pred[s]));
        }
    }
    return next;
}

}  // namespace chima
