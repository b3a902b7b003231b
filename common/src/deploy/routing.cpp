#include "chima/deploy/routing.hpp"
#include "chima/model/int_plan.hpp"

#include <spdlog/spdlog.h>

#include <future>
#include <map>
#include <set>
#include <tuple>

namespace chima::deploy {

namespace {

// A flow at a node (its pusher, or the switch watching it).
using FlowKey = std::tuple<std::string, Ipv4, Ipv4>;

// INT: the flows of every chain with SLA sections are watched at their first switch, which
// makes that switch their INT source (packets that already carry INT stay transit there).
// `watched` lists them (routes_of); the watches of `previous` not among them are removed.
void plan_watches(const std::vector<WatchedFlow>& watched, const std::optional<Routes>& previous,
                  RouteChanges& plan) {
    std::set<FlowKey> current;
    for (const auto& w : watched) {
        plan.watch.push_back({w.sw, w.src_ip, w.dst_ip});
        current.insert({w.sw, w.src_ip, w.dst_ip});
    }
    if (!previous)
        return;
    for (const auto& w : previous->int_watch) {
        if (!current.count({w.sw, w.src_ip, w.dst_ip}))
            plan.unwatch.push_back({w.sw, w.src_ip, w.dst_ip});
    }
}

}  // namespace

void check_route_inputs(const Deployment& d, const std::string& net_name,
                        const std::optional<Routes>& previous, const std::string& previous_file) {
    if (!previous)
        return;
    auto fail = [&](const std::string& pointer, const std::string& message) {
        throw InputError(SourceMark{previous_file}, "at " + pointer + ": " + message);
    };
    // A stale routes.json: its flows are removed at the clients it names, its watches at the
    // switches it names, in the network it names.
    if (previous->net != net_name)
        fail("/net",
             "it describes network '" + previous->net + "', this run drives '" + net_name + "'");
    for (size_t i = 0; i < previous->flows.size(); ++i) {
        const std::string& pusher = previous->flows[i].pusher;
        if (pusher != d.topology.client.name && !d.topology.find_host(pusher))
            fail("/flows/" + std::to_string(i) + "/pusher",
                 "'" + pusher + "' is neither the client nor a host of the deployment's topology");
    }
    for (size_t i = 0; i < previous->int_watch.size(); ++i) {
        if (!d.topology.find_switch(previous->int_watch[i].sw))
            fail(
                "/int_watch/" + std::to_string(i) + "/switch",
                "'" + previous->int_watch[i].sw + "' is not a switch of the deployment's topology");
    }
}

size_t prepare_forwarding(const Deployment& d, device::DeviceRegistry& devices) {
    // Every device opened before the first entry is written: one that cannot be opened
    // stops the run with nothing changed.
    std::vector<device::SwitchDevice*> switches;
    for (const auto& s : d.topology.switches)
        switches.push_back(&devices.switch_device(s.name));
    for (const auto& e : d.endpoints)
        if (e.kind != "function")
            devices.host_device(e.name);
    // Forwarding for every endpoint (container functions included) on every switch, and
    // INT as the topology implies it (chima-net set it on the switches it built; a switch
    // on a machine of its own learns it here).
    size_t entries = 0;
    for (size_t i = 0; i < d.topology.switches.size(); ++i) {
        const auto& s = d.topology.switches[i];
        auto& sw = *switches[i];
        auto forwarding = d.forwarding_entries(s.name);
        for (const auto& e : forwarding) {
            sw.set_mac_route(e.mac, e.port);
            sw.set_prefix_route(e.ip, 32, e.port);
            ++entries;
        }
        IntPlan plan = int_plan(d.topology, s, forwarding);
        sw.set_int_switch_id(plan.switch_id);
        for (uint32_t port : plan.sink_ports)
            sw.set_int_sink_port(port, true);
        if (plan.report) {
            const IntReportPlan& r = *plan.report;
            sw.set_int_report({r.port, r.collector, r.collector_mac, r.collector_udp_port, r.source,
                               r.source_udp_port});
        }
    }
    // Endpoints resolve function addresses without ARP: permanent neighbour entries, one
    // batch per endpoint, the endpoints in parallel.
    std::vector<device::Neighbour> functions;
    for (const auto& e : d.endpoints)
        if (e.kind == "function")
            functions.push_back({e.ip, e.mac});
    std::vector<std::future<void>> batches;
    for (const auto& e : d.endpoints) {
        if (e.kind == "function")
            continue;
        auto& host = devices.host_device(e.name);
        batches.push_back(std::async(std::launch::async,
                                     [&host, &functions] { host.add_neighbours(functions); }));
    }
    for (auto& b : batches)
        b.get();
    return entries;
}

RouteChanges plan_routes(const Deployment& d, const std::string& net_name,
                         device::DeviceRegistry& devices, const std::optional<Routes>& previous) {
    RouteChanges plan;
    plan.doc = routes_of(d, net_name);
    std::set<FlowKey> current;
    for (const auto& f : d.flows) {
        auto old = devices.host_device(f.pusher).flow(f.src_ip, f.dst_ip);
        if (!old || !(*old == f.stack))
            plan.set.push_back({f.pusher, f.src_ip, f.dst_ip, f.stack});
        current.insert({f.pusher, f.src_ip, f.dst_ip});
    }
    if (previous) {
        for (const auto& f : previous->flows) {
            if (!current.count({f.pusher, f.src_ip, f.dst_ip}))
                plan.drop.push_back({f.pusher, f.src_ip, f.dst_ip});
        }
    }
    plan_watches(plan.doc.int_watch, previous, plan);
    plan.doc.changed = plan.set.size();
    plan.doc.removed = plan.drop.size();
    return plan;
}

void commit_routes(device::DeviceRegistry& devices, const RouteChanges& plan) {
    for (const auto& s : plan.set)
        devices.host_device(s.pusher).set_flow(s.src, s.dst, s.stack);
    for (const auto& f : plan.drop) {
        try {
            devices.host_device(f.node).delete_flow(f.src, f.dst);
        } catch (const RuntimeError& e) {
            spdlog::warn("old flow {} -> {} at {}: {}", f.src.str(), f.dst.str(), f.node, e.what());
        }
    }
    for (const auto& w : plan.watch)
        devices.switch_device(w.node).watch_flow(w.src, w.dst);
    for (const auto& w : plan.unwatch) {
        try {
            devices.switch_device(w.node).unwatch_flow(w.src, w.dst);
        } catch (const RuntimeError& e) {
            spdlog::warn("old INT watch {} -> {} at {}: {}", w.src.str(), w.dst.str(), w.node,
                         e.what());
        }
    }
    spdlog::info("{} flow(s) set, {} removed", plan.set.size(), plan.drop.size());
}

Routes switch_routes(const Deployment& d, const std::string& net_name,
                     device::DeviceRegistry& devices, const std::optional<Routes>& previous) {
    auto plan = plan_routes(d, net_name, devices, previous);
    commit_routes(devices, plan);
    return plan.doc;
}

Routes apply_routes(const Deployment& d, const std::string& net_name,
                    device::DeviceRegistry& devices, const std::optional<Routes>& previous) {
    // Planned first (it only reads the clients' stacks), then written.
    auto plan = plan_routes(d, net_name, devices, previous);
    size_t entries = prepare_forwarding(d, devices);
    spdlog::info("{} forwarding entries", entries);
    commit_routes(devices, plan);
    plan.doc.forwarding_entries = entries;
    return plan.doc;
}

}  // namespace chima::deploy
