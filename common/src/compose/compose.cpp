// Topology + service (+ placement) -> deployment.
#include "chima/compose/compose.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "chima/compose/forwarding.hpp"
#include "chima/compose/placer.hpp"
#include "chima/compose/routes.hpp"
#include "chima/content_hash.hpp"

namespace chima {

namespace {

// Where a chain's client endpoint is: the topology's client or a compute host.
struct ClientPlace {
    std::string name;
    std::string sw;
    uint32_t port;
};

ClientPlace find_client(const Topology& topo, const Chain& chain) {
    if (chain.client.ip == topo.client.ip) {
        return {topo.client.name, topo.client.at.sw, topo.client.at.port};
    }
    if (const Host* h = topo.find_host_by_ip(chain.client.ip)) {
        return {h->name, h->at.sw, h->at.port};
    }
    throw InputError(chain.client.mark, "chain '" + chain.name + "': client " +
                                            chain.client.ip.str() +
                                            " is neither the topology's client nor a host");
}

void check_chain_shape(const Chain& chain) {
    if (chain.functions.back().type != FunctionType::Container) {
        const Function& f = chain.functions.back();
        throw InputError(f.mark, "chain '" + chain.name + "' ends with p4 function '" + f.name +
                                     "': a chain ends with the container function that "
                                     "answers requests");
    }
}

// Checks a given placement against the topology: node exists, type fits, reachable.
std::vector<std::string> check_placement(const Topology& topo, const SwitchGraph& graph,
                                         const Placement& placement, const Chain& chain,
                                         const std::string& client_sw, Capacity& capacity) {
    std::vector<Nanoseconds> start(graph.size(), SwitchGraph::kUnreachable);
    start[graph.index(client_sw)] = 0;
    auto reach = graph.shortest(start);
    std::vector<std::string> nodes;
    for (const auto& f : chain.functions) {
        const PlacementEntry* e = placement.find(chain.name, f.name);
        if (!e) {
            throw InputError(
                SourceMark{placement.file, 1, 1},
                "function '" + f.name + "' of chain '" + chain.name + "' has no placement");
        }
        const Switch* sw = topo.find_switch(e->node);
        const Host* host = topo.find_host(e->node);
        if (!sw && !host)
            throw InputError(e->mark, "unknown switch or host '" + e->node + "'");
        if (f.type == FunctionType::P4 && !sw) {
            throw InputError(e->mark, "p4 function '" + f.name + "' placed on host '" + e->node +
                                          "': p4 functions run on switches");
        }
        if (f.type == FunctionType::Container && !host) {
            throw InputError(e->mark, "container function '" + f.name + "' placed on switch '" +
                                          e->node + "': container functions run on hosts");
        }
        const std::string& at = sw ? sw->name : host->at.sw;
        if (reach[graph.index(at)] >= SwitchGraph::kUnreachable) {
            throw InputError(e->mark, "'" + e->node + "' (function '" + f.name +
                                          "') is not reachable from the client");
        }
        if (--capacity[e->node] < 0) {
            throw InputError(e->mark, sw ? "switch '" + e->node +
                                               "' has more p4 functions than "
                                               "function slots (" +
                                               std::to_string(sw->slots) + ")"
                                         : "host '" + e->node + "' is over capacity (" +
                                               std::to_string(host->capacity) + ")");
        }
        nodes.push_back(e->node);
    }
    return nodes;
}

void check_placement_keys(const Placement& placement, const Service& service) {
    for (const auto& [key, entry] : placement.entries) {
        bool known = false;
        for (const auto& c : service.chains) {
            for (const auto& f : c.functions) {
                known = known || key == f.name || key == c.name + "/" + f.name;
            }
        }
        if (!known)
            throw InputError(entry.mark, "placement names unknown function '" + key + "'");
    }
}

// Gives every container function an address: its own, the one it had before, or the
// next free one in the client's /24 from .2 upwards (as the prototype did).
void assign_addresses(const Topology& topo, std::vector<PlacedFunction>& fns,
                      const Deployment* previous) {
    std::set<uint32_t> used{topo.client.ip.value};
    if (topo.collector.separate)
        used.insert(topo.collector.endpoint.ip.value);
    for (const auto& h : topo.hosts)
        used.insert(h.ip.value);
    for (auto& f : fns) {
        if (f.spec.type != FunctionType::Container)
            continue;
        std::optional<Ipv4> ip = f.spec.ip;
        if (!ip && previous) {
            if (auto* old = previous->find_function(f.chain, f.spec.name))
                ip = old->ip;
        }
        if (ip) {
            if (!used.insert(ip->value).second) {
                throw InputError(f.spec.mark, "function '" + f.spec.name + "': address " +
                                                  ip->str() + " is already used");
            }
            f.ip = *ip;
        }
    }
    uint32_t next = (topo.client.ip.value & 0xFFFFFF00u) | 2u;
    for (auto& f : fns) {
        if (f.spec.type != FunctionType::Container || f.ip.value != 0)
            continue;
        while (used.count(next) || (next & 0xFF) == 0 || (next & 0xFF) == 255)
            ++next;
        f.ip = Ipv4{next};
        used.insert(next);
    }
}

// Slots per switch and ids of container functions: kept from the previous deployment when
// a function stays, otherwise the lowest free number.
void assign_numbers(const Topology& topo, std::vector<PlacedFunction>& fns,
                    const Deployment* previous) {
    std::map<std::string, std::set<uint32_t>> used_slots;
    std::set<uint32_t> used_ids;
    auto old_of = [&](const PlacedFunction& f) -> const PlacedFunction* {
        return previous ? previous->find_function(f.chain, f.spec.name) : nullptr;
    };
    for (auto& f : fns) {
        const PlacedFunction* old = old_of(f);
        if (f.spec.type == FunctionType::P4 && old && old->node == f.node && old->slot) {
            f.slot = old->slot;
            used_slots[f.node].insert(f.slot);
        }
        if (f.spec.type == FunctionType::Container && old && old->function_id) {
            f.function_id = old->function_id;
            used_ids.insert(f.function_id);
        }
    }
    uint32_t next_id = 1;
    for (auto& f : fns) {
        if (f.spec.type == FunctionType::P4 && !f.slot) {
            auto& used = used_slots[f.node];
            uint32_t s = 1;
            while (used.count(s))
                ++s;
            const Switch* sw = topo.find_switch(f.node);
            if (s > sw->slots || s > CHIMA_SID_ARG_MAX) {
                throw InputError(f.spec.mark, "switch '" + f.node +
                                                  "' has no function SID left "
                                                  "for '" +
                                                  f.spec.name + "'");
            }
            f.slot = s;
            used.insert(s);
        }
        if (f.spec.type == FunctionType::Container && !f.function_id) {
            while (used_ids.count(next_id))
                ++next_id;
            if (next_id > CHIMA_SID_ARG_MAX) {
                throw InputError(f.spec.mark, "more container functions than function-end SIDs");
            }
            f.function_id = next_id;
            used_ids.insert(next_id);
        }
        if (f.spec.type == FunctionType::Container) {
            // Locally administered, derived from the id: stable across relocation.
            f.mac = Mac{(uint64_t(0x02) << 40) | (uint64_t(0xc4) << 32) | f.function_id};
        }
    }
}

void add_function_endpoints(Deployment& d) {
    for (const auto& f : d.functions) {
        if (f.spec.type != FunctionType::Container)
            continue;
        const Host* h = d.topology.find_host(f.node);
        d.endpoints.push_back(
            {f.chain + "/" + f.spec.name, "function", f.ip, f.mac, h->at.sw, h->at.port});
    }
}

}  // namespace

Deployment compose(const ComposeInput& in) {
    Deployment d;
    d.topology = in.topology;
    const Topology& topo = d.topology;
    SwitchGraph graph(topo, in.degraded);
    Capacity capacity = initial_capacity(topo);
    if (in.placement)
        check_placement_keys(*in.placement, in.service);

    for (const auto& chain : in.service.chains) {
        check_chain_shape(chain);
        ClientPlace client = find_client(topo, chain);
        PlacementBias bias;
        bias.move_cost = in.move_cost;
        bias.node_cost = in.degraded_nodes;
        if (in.previous) {
            for (const auto& f : in.previous->functions)
                ++bias.load[f.node];
            for (const auto& f : chain.functions) {
                const PlacedFunction* old = in.previous->find_function(chain.name, f.name);
                bias.current.push_back(old ? old->node : "");
            }
        }
        std::vector<std::string> nodes =
            in.placement ? check_placement(topo, graph, *in.placement, chain, client.sw, capacity)
                         : place_chain(topo, graph, chain, client.sw, capacity, bias);
        ChainInfo info{chain.name, chain.client, chain.sla, chain.alpha, chain.poll, {}};
        for (size_t i = 0; i < chain.functions.size(); ++i) {
            PlacedFunction pf;
            pf.chain = chain.name;
            pf.spec = chain.functions[i];
            pf.node = nodes[i];
            d.functions.push_back(pf);
            info.functions.push_back(chain.functions[i].name);
        }
        d.chains.push_back(info);
    }
    assign_numbers(topo, d.functions, in.previous);
    assign_addresses(topo, d.functions, in.previous);

    for (const auto& chain : in.service.chains) {
        ClientPlace client = find_client(topo, chain);
        ChainRoutes r = route_chain(d, graph, chain, client.name, client.sw, client.port);
        for (auto& f : r.flows)
            d.flows.push_back(std::move(f));
        for (auto& s : r.sections)
            d.sections.push_back(std::move(s));
    }
    d.endpoints = topology_endpoints(topo);
    add_function_endpoints(d);
    d.next_port = next_ports(topo, d.endpoints);
    d.id = deployment_hash(d);
    return d;
}

std::string deployment_hash(const Deployment& d) {
    Deployment copy = d;
    copy.id.clear();
    copy.topology.file.clear();  // the same network named by another path is the same content
    return fnv1a_hex(to_json(copy).dump());
}

}  // namespace chima
