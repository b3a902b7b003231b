#include "chima/deploy/routing.hpp"

#include <spdlog/spdlog.h>

#include <future>
#include <map>
#include <set>

#include "chima/state_file.hpp"

namespace chima::deploy {

using nlohmann::json;

namespace {

std::string flow_key(const std::string& pusher, const std::string& src, const std::string& dst) {
    return pusher + "|" + src + "|" + dst;
}

// INT: the flows of every chain with SLA sections are watched at their first switch, which
// makes that switch their INT source (packets that already carry INT stay transit there).
// Entries of flows no longer deployed are removed. Fills the "int_watch" list.
void plan_watches(const Deployment& d, const std::optional<json>& previous, RouteChanges& plan,
                  json& watched) {
    std::set<std::string> measured;
    for (const auto& s : d.sections)
        measured.insert(s.chain);
    watched = json::array();
    std::set<std::string> current;
    for (const auto& f : d.flows) {
        if (!measured.count(f.chain) || f.path.empty())
            continue;
        plan.watch.push_back({f.path.front(), f.src_ip, f.dst_ip});
        current.insert(flow_key(f.path.front(), f.src_ip.str(), f.dst_ip.str()));
        watched.push_back({{"chain", f.chain},
                           {"switch", f.path.front()},
                           {"src_ip", f.src_ip.str()},
                           {"dst_ip", f.dst_ip.str()}});
    }
    if (!previous || !previous->contains("int_watch"))
        return;
    for (const auto& w : (*previous)["int_watch"]) {
        std::string sw = w.value("switch", ""), src = w.value("src_ip", ""),
                    dst = w.value("dst_ip", "");
        auto a = Ipv4::parse(src), b = Ipv4::parse(dst);
        if (current.count(flow_key(sw, src, dst)) || !a || !b)
            continue;
        plan.unwatch.push_back({sw, *a, *b});
    }
}

}  // namespace

size_t prepare_forwarding(const Deployment& d, device::DeviceRegistry& devices) {
    // Forwarding for every endpoint (container functions included) on every switch.
    size_t entries = 0;
    for (const auto& s : d.topology.switches) {
        auto& sw = devices.switch_device(s.name);
        for (const auto& e : d.forwarding_entries(s.name)) {
            sw.set_mac_route(e.mac, e.port);
            sw.set_prefix_route(e.ip, 32, e.port);
            ++entries;
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
                         device::DeviceRegistry& devices, const std::optional<json>& previous) {
    RouteChanges plan;
    json flows = json::array();
    std::set<std::string> current;
    for (const auto& f : d.flows) {
        auto old = devices.host_device(f.pusher).flow(f.src_ip, f.dst_ip);
        if (!old || !(*old == f.stack))
            plan.set.push_back({f.pusher, f.src_ip, f.dst_ip, f.stack});
        current.insert(flow_key(f.pusher, f.src_ip.str(), f.dst_ip.str()));
        json labels = json::array();
        for (const auto& s : f.stack.segments())
            labels.push_back(s.label());
        flows.push_back({{"chain", f.chain},
                         {"pusher", f.pusher},
                         {"src_ip", f.src_ip.str()},
                         {"dst_ip", f.dst_ip.str()},
                         {"labels", labels}});
    }
    if (previous && previous->contains("flows")) {
        for (const auto& f : (*previous)["flows"]) {
            std::string pusher = f.value("pusher", ""), src = f.value("src_ip", ""),
                        dst = f.value("dst_ip", "");
            if (current.count(flow_key(pusher, src, dst)))
                continue;
            auto s = Ipv4::parse(src), t = Ipv4::parse(dst);
            if (s && t)
                plan.drop.push_back({pusher, *s, *t});
        }
    }
    json watched;
    plan_watches(d, previous, plan, watched);
    plan.doc = new_state(kRoutesKind, kRoutesVersion);
    plan.doc["deployment"] = d.id;
    plan.doc["net"] = net_name;
    plan.doc["flows"] = flows;
    plan.doc["changed"] = plan.set.size();
    plan.doc["removed"] = plan.drop.size();
    plan.doc["int_watch"] = watched;
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

json switch_routes(const Deployment& d, const std::string& net_name,
                   device::DeviceRegistry& devices, const std::optional<json>& previous) {
    auto plan = plan_routes(d, net_name, devices, previous);
    commit_routes(devices, plan);
    return plan.doc;
}

json apply_routes(const Deployment& d, const std::string& net_name, device::DeviceRegistry& devices,
                  const std::optional<json>& previous) {
    size_t entries = prepare_forwarding(d, devices);
    spdlog::info("{} forwarding entries", entries);
    json doc = switch_routes(d, net_name, devices, previous);
    doc["forwarding_entries"] = entries;
    return doc;
}

}  // namespace chima::deploy
