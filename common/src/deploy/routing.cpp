#include "chima/deploy/routing.hpp"

#include <spdlog/spdlog.h>

#include <set>

#include "chima/bpf/host_client.hpp"
#include "chima/bpf/switch_pipeline.hpp"
#include "chima/emulation/emulated_network.hpp"
#include "chima/net/link.hpp"
#include "chima/net/names.hpp"
#include "chima/state_file.hpp"

namespace chima::deploy {

using nlohmann::json;

namespace {

std::string flow_key(const std::string& pusher, const std::string& src, const std::string& dst) {
    return pusher + "|" + src + "|" + dst;
}

// INT: the flows of every chain with SLA sections are watched at their first switch, which
// makes that switch their INT source (packets that already carry INT stay transit there).
// Entries of flows no longer deployed are removed. Returns the "int_watch" list.
json watch_chain_flows(const Deployment& d, const std::string& net_name,
                       const std::optional<json>& previous) {
    std::set<std::string> measured;
    for (const auto& s : d.sections)
        measured.insert(s.chain);
    json watched = json::array();
    std::set<std::string> current;
    for (const auto& f : d.flows) {
        if (!measured.count(f.chain) || f.path.empty())
            continue;
        bpf::SwitchPipeline::open(emulation::node_pin_dir(net_name, f.path.front()))
            .watch_flow(f.src_ip, f.dst_ip);
        current.insert(flow_key(f.path.front(), f.src_ip.str(), f.dst_ip.str()));
        watched.push_back({{"chain", f.chain},
                           {"switch", f.path.front()},
                           {"src_ip", f.src_ip.str()},
                           {"dst_ip", f.dst_ip.str()}});
    }
    if (!previous || !previous->contains("int_watch"))
        return watched;
    for (const auto& w : (*previous)["int_watch"]) {
        std::string sw = w.value("switch", ""), src = w.value("src_ip", ""),
                    dst = w.value("dst_ip", "");
        auto a = Ipv4::parse(src), b = Ipv4::parse(dst);
        if (current.count(flow_key(sw, src, dst)) || !a || !b)
            continue;
        try {
            bpf::SwitchPipeline::open(emulation::node_pin_dir(net_name, sw)).unwatch_flow(*a, *b);
        } catch (const RuntimeError& e) {
            spdlog::warn("old INT watch {} -> {} at {}: {}", src, dst, sw, e.what());
        }
    }
    return watched;
}

}  // namespace

json apply_routes(const Deployment& d, const std::string& net_name,
                  const std::optional<json>& previous) {
    json flows = json::array();
    std::set<std::string> current;
    size_t changed = 0;
    for (const auto& f : d.flows) {
        auto client = bpf::HostClient::open(emulation::node_pin_dir(net_name, f.pusher));
        auto old = client.flow(f.src_ip, f.dst_ip);
        if (!old || !(*old == f.stack)) {
            client.set_flow(f.src_ip, f.dst_ip, f.stack);
            ++changed;
        }
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
    size_t removed = 0;
    if (previous && previous->contains("flows")) {
        for (const auto& f : (*previous)["flows"]) {
            std::string pusher = f.value("pusher", ""), src = f.value("src_ip", ""),
                        dst = f.value("dst_ip", "");
            if (current.count(flow_key(pusher, src, dst)))
                continue;
            auto s = Ipv4::parse(src), t = Ipv4::parse(dst);
            if (!s || !t)
                continue;
            try {
                bpf::HostClient::open(emulation::node_pin_dir(net_name, pusher))
                    .delete_flow(*s, *t);
                ++removed;
            } catch (const RuntimeError& e) {
                spdlog::warn("old flow {} -> {} at {}: {}", src, dst, pusher, e.what());
            }
        }
    }

    json watched = watch_chain_flows(d, net_name, previous);

    // Forwarding for every endpoint (container functions included) on every switch.
    size_t entries = 0;
    for (const auto& s : d.topology.switches) {
        auto pipeline = bpf::SwitchPipeline::open(emulation::node_pin_dir(net_name, s.name));
        for (const auto& e : d.forwarding_entries(s.name)) {
            pipeline.set_mac_route(e.mac, e.port);
            pipeline.set_prefix_route(e.ip, 32, e.port);
            ++entries;
        }
    }
    // Endpoints resolve function addresses without ARP: permanent neighbour entries.
    std::vector<const NetEndpoint*> functions;
    for (const auto& e : d.endpoints)
        if (e.kind == "function")
            functions.push_back(&e);
    for (const auto& e : d.endpoints) {
        if (e.kind == "function")
            continue;
        std::string ns = net::node_netns(net_name, e.name);
        std::string dev = e.kind == "host" ? emulation::kHostBridge : emulation::kUplink;
        for (const NetEndpoint* f : functions)
            net::add_neighbour(ns, dev, f->ip.str(), f->mac.str());
    }
    spdlog::info("{} flow(s) set ({} changed, {} removed), {} forwarding entries", flows.size(),
                 changed, removed, entries);
    json doc = new_state(kRoutesKind, kRoutesVersion);
    doc["deployment"] = d.id;
    doc["net"] = net_name;
    doc["flows"] = flows;
    doc["changed"] = changed;
    doc["removed"] = removed;
    doc["forwarding_entries"] = entries;
    doc["int_watch"] = watched;
    return doc;
}

}  // namespace chima::deploy
