#include "chima/relocate/relocation.hpp"

#include <algorithm>

#include "chima/compose/compose.hpp"

namespace chima::relocate {

using nlohmann::json;

Service service_of(const Deployment& d) {
    Service s;
    s.file = "deployment " + d.id;
    for (const auto& c : d.chains) {
        Chain chain;
        chain.name = c.name;
        chain.client = c.client;
        chain.sla = c.sla;
        chain.alpha = c.alpha;
        chain.poll = c.poll;
        for (const auto& name : c.functions) {
            const PlacedFunction* f = d.find_function(c.name, name);
            if (!f)
                throw InputError("deployment lists function '" + name + "' it does not place");
            chain.functions.push_back(f->spec);
        }
        s.chains.push_back(std::move(chain));
    }
    return s;
}

void check_topology_of(const Topology& topology, const Deployment& current) {
    auto mismatch = [&](const std::string& what) {
        throw InputError(SourceMark{topology.file},
                         "the topology does not match the deployment's (" + current.topology.file +
                             "): " + what);
    };
    if (topology.name != current.topology.name)
        mismatch("it is named '" + topology.name + "', the deployment's '" + current.topology.name +
                 "'");
    for (const auto& s : current.topology.switches) {
        const Switch* now = topology.find_switch(s.name);
        if (!now)
            mismatch("it has no switch '" + s.name + "'");
        if (now->id != s.id)
            mismatch("switch '" + s.name + "' has id " + std::to_string(now->id) + ", not " +
                     std::to_string(s.id));
    }
    for (const auto& h : current.topology.hosts)
        if (!topology.find_host(h.name))
            mismatch("it has no host '" + h.name + "'");
    if (topology.client.name != current.topology.client.name)
        mismatch("its client is '" + topology.client.name + "', not '" +
                 current.topology.client.name + "'");
}

namespace {

Nanoseconds nominal_delay(const Topology& t, const std::string& a, const std::string& b) {
    const Link* l = t.find_link(a, b);
    return l ? l->delay : 0;
}

}  // namespace

OnExit on_exit_from_string(const std::string& text) {
    if (text == "restart")
        return OnExit::Restart;
    if (text == "move")
        return OnExit::Move;
    throw InputError("--on-exit: expected restart or move, got '" + text + "'");
}

std::string to_string(OnExit policy) {
    return policy == OnExit::Restart ? "restart" : "move";
}

namespace {

// A missing node is down with everything it carries: a switch its links (both ways) and
// the hosts attached to it, a host the functions it runs.
std::optional<Degradation> node_down(const Deployment& d, const std::string& node,
                                     const RelocationOptions& options) {
    const Topology& t = d.topology;
    Degradation out;
    if (t.find_switch(node)) {
        if (node == t.client.at.sw)
            return std::nullopt;  // the client's own switch: there is no way around it
        out.nodes[node] = options.down_cost;
        for (const auto& l : t.links) {
            if (l.a == node || l.b == node) {
                out.links[{l.a, l.b}] = options.down_cost;
                out.links[{l.b, l.a}] = options.down_cost;
            }
        }
        for (const auto& h : t.hosts)
            if (h.at.sw == node)
                out.nodes[h.name] = options.down_cost;
    } else if (t.find_host(node)) {
        out.nodes[node] = options.down_cost;
    } else {
        return std::nullopt;
    }
    out.describe = "node " + node + " missing";
    return out;
}

// Telemetry travels the whole journey in one INT report: a fault anywhere on it silences
// every segment behind the source at once, so the collector cannot say which one failed.
// Each silent segment is suspect and counts as down (a link both ways, a function's host);
// the chain leaves all of them when the topology has a way around.
std::optional<Degradation> silent_down(const Deployment& d, const json& v,
                                       const RelocationOptions& options) {
    std::vector<std::string> keys;
    if (v.contains("silent") && v["silent"].is_array())
        for (const auto& k : v["silent"])
            if (k.is_string())
                keys.push_back(k.get<std::string>());
    if (v.contains("worst") && v["worst"].is_object())
        keys.push_back(v["worst"].value("key", ""));
    std::string chain = v.value("chain", "");
    Degradation out;
    for (const auto& section : d.sections) {
        if (section.chain != chain)
            continue;
        for (const auto& seg : section.segments) {
            if (std::find(keys.begin(), keys.end(), seg.key()) == keys.end())
                continue;
            if (seg.kind == SegmentKind::Link) {
                out.links[{seg.a, seg.b}] = options.down_cost;
                out.links[{seg.b, seg.a}] = options.down_cost;
            } else if (const PlacedFunction* f = d.find_function(chain, seg.function)) {
                out.nodes[f->node] = options.down_cost;
            }
        }
    }
    if (out.empty())
        return std::nullopt;
    std::string first = keys.empty() ? "" : keys.front();
    out.describe = "silent: " + std::to_string(keys.size()) + " segment(s) from " + first;
    return out;
}

}  // namespace

std::optional<Degradation> degradation_of(const Deployment& d, const json& v,
                                          const RelocationOptions& options) {
    if (!v.is_object() || v.value("type", "") != "violation")
        return std::nullopt;
    if (v.value("metric", "") == "node" && v.contains("node") && v["node"].is_string())
        return node_down(d, v["node"].get<std::string>(), options);
    if (v.value("metric", "") == "silence")
        return silent_down(d, v, options);
    if (!v.contains("worst") || !v["worst"].is_object())
        return std::nullopt;
    const json& w = v["worst"];
    Degradation out;
    std::string metric = v.value("metric", "");
    int64_t value = w.value("value_ns", int64_t{0});
    if (w.value("type", "") == "link") {
        std::string a = w.value("a", ""), b = w.value("b", "");
        if (!d.topology.find_link(a, b))
            return std::nullopt;
        Nanoseconds extra;
        if (metric == "link" || metric == "availability" || metric == "silence") {
            extra = options.down_cost;
        } else {
            // The link now costs what was measured (jitter counts as latency to avoid).
            extra = std::max<Nanoseconds>(value - nominal_delay(d.topology, a, b), value / 2);
        }
        extra = std::max<Nanoseconds>(extra, 1);
        out.links[{a, b}] = extra;
        out.links[{b, a}] = extra;  // a perturbed link is usually slow both ways
        out.describe = "link " + a + "-" + b + " " + (metric.empty() ? "degraded" : metric) + " " +
                       std::to_string(value) + " ns";
    } else if (w.value("type", "") == "function") {
        std::string fn = w.value("function", "");
        std::string chain = v.value("chain", "");
        const PlacedFunction* f = d.find_function(chain, fn);
        if (!f)
            return std::nullopt;
        if (metric == "availability" && options.on_exit == OnExit::Restart) {
            out.restart = true;
            out.describe = "function " + fn + " on " + f->node + " exited: restart in place";
            return out;
        }
        bool down = metric == "availability" || metric == "silence";
        out.nodes[f->node] = down ? options.down_cost : std::max<int64_t>(value, 1);
        out.describe = "function " + fn + " on " + f->node + " " + metric;
    } else {
        return std::nullopt;
    }
    return out;
}

void merge(Degradation& a, const Degradation& b) {
    for (const auto& [k, v] : b.links)
        a.links[k] = std::max(a.links[k], v);
    for (const auto& [k, v] : b.nodes)
        a.nodes[k] = std::max(a.nodes[k], v);
    if (!b.describe.empty())
        a.describe += (a.describe.empty() ? "" : "; ") + b.describe;
}

Deployment plan_relocation(const Topology& topology, const Deployment& current,
                           const Degradation& degradation, const RelocationOptions& options) {
    ComposeInput in;
    in.topology = topology;
    in.service = service_of(current);
    in.degraded = degradation.links;
    in.degraded_nodes = degradation.nodes;
    in.previous = &current;
    in.move_cost = options.move_cost;
    in.placement = options.target;
    return compose(in);
}

json relocation_diff(const Deployment& from, const Deployment& to) {
    json moved = json::array();
    for (const auto& f : to.functions) {
        const PlacedFunction* old = from.find_function(f.chain, f.spec.name);
        if (old && old->node == f.node)
            continue;
        json m = {{"chain", f.chain},
                  {"function", f.spec.name},
                  {"type", to_string(f.spec.type)},
                  {"to", f.node}};
        m["from"] = old ? json(old->node) : json(nullptr);
        if (f.spec.type == FunctionType::P4)
            m["slot"] = f.slot;
        moved.push_back(m);
    }
    json flows = json::array();
    for (const auto& f : to.flows) {
        bool same = false;
        for (const auto& g : from.flows) {
            same = same || (g.chain == f.chain && g.src == f.src && g.dst == f.dst &&
                            g.pusher == f.pusher && g.stack == f.stack);
        }
        if (!same) {
            flows.push_back({{"chain", f.chain},
                             {"src", f.src},
                             {"dst", f.dst},
                             {"pusher", f.pusher},
                             {"path", f.path}});
        }
    }
    json sections = json::array();
    for (const auto& s : to.sections) {
        bool same = false;
        for (const auto& t : from.sections) {
            same = same || (t.chain == s.chain && t.name == s.name && t.segments == s.segments);
        }
        if (!same)
            sections.push_back({{"chain", s.chain}, {"name", s.name}});
    }
    return {{"type", "plan"}, {"from", from.id}, {"to", to.id},
            {"moved", moved}, {"flows", flows},  {"sections", sections}};
}

}  // namespace chima::relocate
