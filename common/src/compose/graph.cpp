#include "chima/compose/graph.hpp"

#include <algorithm>
#include <queue>
#include <tuple>

namespace chima {

SwitchGraph::SwitchGraph(const Topology& topo, const LinkCosts& extra) {
    for (const auto& s : topo.switches) {
        index_[s.name] = static_cast<uint32_t>(names_.size());
        names_.push_back(s.name);
    }
    adj_.resize(names_.size());
    auto cost = [&](const std::string& from, const std::string& to, Nanoseconds base) {
        auto it = extra.find({from, to});
        return base + (it == extra.end() ? 0 : it->second);
    };
    for (const auto& l : topo.links) {
        uint32_t a = index_.at(l.a), b = index_.at(l.b);
        adj_[a].push_back({b, l.a_port, cost(l.a, l.b, l.delay)});
        adj_[b].push_back({a, l.b_port, cost(l.b, l.a, l.delay)});
    }
    // Neighbours in switch order: deterministic tie-breaking independent of link order.
    for (auto& edges : adj_) {
        std::stable_sort(edges.begin(), edges.end(),
                         [](const Edge& x, const Edge& y) { return x.to < y.to; });
    }
}

std::vector<Nanoseconds> SwitchGraph::shortest(const std::vector<Nanoseconds>& start,
                                               std::vector<int32_t>* from,
                                               std::vector<int32_t>* root) const {
    const size_t n = names_.size();
    std::vector<Nanoseconds> dist(n, kUnreachable);
    std::vector<uint32_t> hops(n, UINT32_MAX);
    std::vector<int32_t> pred(n, -1);
    std::vector<int32_t> src(n, -1);
    using Item = std::tuple<Nanoseconds, uint32_t, uint32_t>;  // cost, hops, switch
    std::priority_queue<Item, std::vector<Item>, std::greater<>> queue;
    for (uint32_t i = 0; i < n; ++i) {
        if (start[i] < kUnreachable) {
            dist[i] = start[i];
            hops[i] = 0;
            src[i] = static_cast<int32_t>(i);
            queue.emplace(dist[i], 0, i);
        }
    }
    while (!queue.empty()) {
        auto [d, h, u] = queue.top();
        queue.pop();
        if (d != dist[u] || h != hops[u]) continue;
        for (const auto& e : adj_[u]) {
            Nanoseconds nd = d + e.delay;
            uint32_t nh = h + 1;
            if (nd < dist[e.to] || (nd == dist[e.to] && nh < hops[e.to])) {
                dist[e.to] = nd;
                hops[e.to] = nh;
                pred[e.to] = static_cast<int32_t>(u);
                src[e.to] = src[u];
                queue.emplace(nd, nh, e.to);
            }
        }
    }
    if (from) *from = std::move(pred);
    if (root) *root = std::move(src);
    return dist;
}

std::vector<uint32_t> SwitchGraph::path(uint32_t a, uint32_t b) const {
    auto it = trees_.find(a);
    if (it == trees_.end()) {
        std::vector<Nanoseconds> start(names_.size(), kUnreachable);
        start[a] = 0;
        Tree t;
        t.dist = shortest(start, &t.pred);
        it = trees_.emplace(a, std::move(t)).first;
    }
    const Tree& tree = it->second;
    if (tree.dist[b] >= kUnreachable) return {};
    std::vector<uint32_t> out;
    for (int32_t v = static_cast<int32_t>(b); v != -1; v = tree.pred[v]) out.push_back(v);
    std::reverse(out.begin(), out.end());
    return out;
}

uint32_t SwitchGraph::port_to(uint32_t a, uint32_t b) const {
    for (const auto& e : adj_[a])
        if (e.to == b) return e.out_port;
    return 0;
}

Nanoseconds SwitchGraph::delay(uint32_t a, uint32_t b) const {
    for (const auto& e : adj_[a])
        if (e.to == b) return e.delay;
    return kUnreachable;
}

}  // namespace chima
