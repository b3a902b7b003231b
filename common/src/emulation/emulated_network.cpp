#include "chima/emulation/emulated_network.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <set>

#include "chima/bpf/host_client.hpp"
#include "chima/bpf/switch_pipeline.hpp"
#include "chima/model/int_plan.hpp"
#include "chima/compose/forwarding.hpp"
#include "chima/container/backend.hpp"
#include "chima/file_lock.hpp"
#include "chima/net/cleanup.hpp"
#include "chima/net/link.hpp"
#include "chima/net/names.hpp"
#include "chima/net/netns.hpp"
#include "chima/net/offloads.hpp"
#include "chima/net/net_builder.hpp"
#include "chima/net/perturb.hpp"
#include "chima/process/child_process.hpp"
#include "chima/state_file.hpp"

namespace chima::emulation {

using nlohmann::json;

std::string port_ifname(uint32_t port) {
    return "p" + std::to_string(port);
}

std::string node_pin_dir(const std::string& net, const std::string& node) {
    return net::pin_dir(net) + "/" + node;
}

Mac port_mac(const Switch& sw, uint32_t port) {
    return Mac{(uint64_t(0x02) << 40) | (uint64_t(0xc5) << 32) | (uint64_t(sw.id & 0xffff) << 8) |
               (port & 0xff)};
}

namespace {

// The uplink of a host sits in its bridge; give it a MAC of its own, derived from the host's.
Mac uplink_mac(const Mac& host) {
    return Mac{host.value ^ (uint64_t(0x02) << 40) ^ 0x10000};
}

struct Attached {
    std::string node;  // endpoint or host name
    const Attachment* at;
    Mac mac;     // the MAC frames to this node carry
    Mac uplink;  // the MAC of the node's own interface
    Ipv4 ip;
    bool bridge;  // compute host
};

std::vector<Attached> attached_nodes(const Topology& t) {
    std::vector<Attached> out;
    out.push_back({t.client.name, &t.client.at, t.client.mac, t.client.mac, t.client.ip, false});
    if (t.collector.separate) {
        const auto& c = t.collector.endpoint;
        out.push_back({c.name, &c.at, c.mac, c.mac, c.ip, false});
    }
    for (const auto& h : t.hosts) {
        out.push_back({h.name, &h.at, h.mac, uplink_mac(h.mac), h.ip, true});
    }
    return out;
}

void ip_cmd(const std::string& netns, const std::vector<std::string>& args) {
    std::vector<std::string> argv{"ip", "-n", netns};
    argv.insert(argv.end(), args.begin(), args.end());
    process::run_checked(argv);
}

// Checksum and segmentation offloads off (see net/offloads.hpp).
void disable_offloads(const std::string& netns, const std::string& ifname) {
    net::disable_offloads(net::NetNs::open(netns), ifname);
}

int ifindex_of(const std::string& netns, const std::string& ifname) {
    return net::link_info(netns, ifname).ifindex;
}

// The link named "a-b" (either order) in the topology; InputError when there is none.
const Link& named_link(const Topology& topo, const std::string& link) {
    auto dash = link.find('-');
    if (dash == std::string::npos)
        throw InputError("link '" + link + "': expected A-B, e.g. s0-s1");
    const Link* l = topo.find_link(link.substr(0, dash), link.substr(dash + 1));
    if (!l)
        throw InputError("no link '" + link + "' in " + topo.file);
    return *l;
}

// INT on one switch as the topology implies it (model/int_plan.hpp). Returns what net.json
// records of it.
NetState::IntSettings configure_int(bpf::SwitchPipeline& pipeline, const Topology& topo,
                                    const Switch& s, const std::vector<ForwardingEntry>& entries) {
    IntPlan plan = int_plan(topo, s, entries);
    pipeline.set_int_switch_id(plan.switch_id);
    for (uint32_t port : plan.sink_ports)
        pipeline.set_int_sink_port(port, true);
    NetState::IntSettings out;
    out.switch_id = plan.switch_id;
    out.sink_ports = plan.sink_ports;
    if (!plan.report)
        return out;  // the collector is unreachable from here
    const IntReportPlan& r = *plan.report;
    pipeline.set_int_report({.port = r.port,
                             .collector = r.collector,
                             .collector_mac = r.collector_mac,
                             .collector_udp_port = r.collector_udp_port,
                             .source = r.source,
                             .source_udp_port = r.source_udp_port});
    out.report_port = r.port;
    out.report_source = r.source;
    return out;
}

}  // namespace

NetState net_up(const Topology& topo, const std::string& net_name,
                const net::InterruptGuard* guard) {
    net::check_net_name(net_name);
    net::NetBuilder b(net_name, guard);
    auto nodes = attached_nodes(topo);

    for (const auto& s : topo.switches)
        b.add_node(s.name, false);
    for (const auto& n : nodes)
        b.add_node(n.node, false);

    for (const auto& l : topo.links) {
        const Switch& a = *topo.find_switch(l.a);
        const Switch& bsw = *topo.find_switch(l.b);
        b.add_link({{l.a, port_ifname(l.a_port)},
                    port_mac(a, l.a_port).str(),
                    {l.b, port_ifname(l.b_port)},
                    port_mac(bsw, l.b_port).str()});
    }
    for (const auto& n : nodes) {
        const Switch& sw = *topo.find_switch(n.at->sw);
        b.add_link({{n.at->sw, port_ifname(n.at->port)},
                    port_mac(sw, n.at->port).str(),
                    {n.node, kUplink},
                    n.uplink.str()});
    }

    for (const auto& l : topo.links) {
        b.check_interrupt();
        disable_offloads(b.netns_of(l.a), port_ifname(l.a_port));
        disable_offloads(b.netns_of(l.b), port_ifname(l.b_port));
    }
    // Endpoints: addresses, a bridge on compute hosts, static neighbours for each other.
    for (const auto& n : nodes) {
        std::string ns = b.netns_of(n.node);
        b.check_interrupt();
        disable_offloads(ns, kUplink);
        disable_offloads(b.netns_of(n.at->sw), port_ifname(n.at->port));
        std::string dev = kUplink;
        if (n.bridge) {
            b.check_interrupt();
            ip_cmd(ns, {"link", "add", kHostBridge, "address", n.mac.str(), "type", "bridge",
                        "forward_delay", "0"});
            ip_cmd(ns, {"link", "set", kUplink, "master", kHostBridge});
            // No learning on the uplink: frames of local functions come back through it
            // after a hairpin at the switch; functions are found by static entries.
            ip_cmd(ns, {"link", "set", kUplink, "type", "bridge_slave", "learning", "off"});
            ip_cmd(ns, {"link", "set", kHostBridge, "up"});
            dev = kHostBridge;
        }
        b.add_address(n.node, dev, n.ip.str() + "/24");
        for (const auto& other : nodes) {
            if (other.node != n.node)
                b.add_neighbour(n.node, dev, other.ip.str(), other.mac.str());
        }
    }

    // Switch pipelines on every port, forwarding for the topology's endpoints.
    auto endpoints = topology_endpoints(topo);
    auto next = next_ports(topo, endpoints);
    NetState doc;
    doc.name = net_name;
    doc.topology = topo.file;
    for (const auto& s : topo.switches) {
        b.check_interrupt();
        std::string ns = b.netns_of(s.name);
        std::string pins = node_pin_dir(net_name, s.name);
        auto pipeline = bpf::SwitchPipeline::create(pins);
        b.transaction().on_rollback("unpin " + pins, [pins] { bpf::SwitchPipeline::remove(pins); });
        std::vector<NetState::Port> ports;
        auto add_port = [&](uint32_t port, const Mac& peer) {
            int ifindex = ifindex_of(ns, port_ifname(port));
            // Every port is a veth: frames go straight into the next node's ingress.
            pipeline.set_port(port, {.ifindex = static_cast<uint32_t>(ifindex),
                                     .own_mac = port_mac(s, port),
                                     .peer_mac = peer,
                                     .rewrite_mac = false,
                                     .deliver_to_peer = true});
            ports.push_back({port, port_ifname(port), ifindex});
        };
        for (const auto& l : topo.links) {
            if (l.a == s.name)
                add_port(l.a_port, port_mac(*topo.find_switch(l.b), l.b_port));
            if (l.b == s.name)
                add_port(l.b_port, port_mac(*topo.find_switch(l.a), l.a_port));
        }
        for (const auto& n : nodes) {
            if (n.at->sw == s.name)
                add_port(n.at->port, n.uplink);
        }
        auto entries = forwarding_entries(s.name, endpoints, next);
        for (const auto& e : entries) {
            pipeline.set_mac_route(e.mac, e.port);
            pipeline.set_prefix_route(e.ip, 32, e.port);
        }
        auto int_settings = configure_int(pipeline, topo, s, entries);
        net::NetNs::open(ns).run([&] {
            for (const auto& p : ports)
                pipeline.attach(static_cast<int>(p.ifindex));
        });
        doc.switches.push_back({s.name, s.id, ns, pins, std::move(ports), std::move(int_settings)});
    }

    // Host clients on every endpoint's uplink.
    for (const auto& n : nodes) {
        b.check_interrupt();
        std::string ns = b.netns_of(n.node);
        std::string pins = node_pin_dir(net_name, n.node);
        auto client = bpf::HostClient::create(pins);
        b.transaction().on_rollback("unpin " + pins, [pins] { bpf::HostClient::remove(pins); });
        int ifindex = ifindex_of(ns, kUplink);
        net::NetNs::open(ns).run([&] { client.attach(ifindex); });
        doc.endpoints.push_back({n.node, n.bridge ? "host" : "endpoint", ns, n.ip, n.mac, kUplink,
                                 pins, n.bridge ? kHostBridge : ""});
    }

    for (const auto& l : topo.links) {
        doc.links.push_back({l.name(), {l.a, port_ifname(l.a_port)}, {l.b, port_ifname(l.b_port)}});
    }
    const Endpoint& col = topo.collector_endpoint();
    doc.collector = {col.name, net::node_netns(net_name, col.name), kUplink, col.ip,
                     topo.collector.udp_port};
    b.commit();
    return doc;
}

net::LinkStatus perturb_link(const Topology& topo, const std::string& net_name,
                             const std::string& link, const net::Perturbation& change) {
    const Link& l = named_link(topo, link);
    net::LinkStatus st = net::perturb(link_ref(topo, net_name, link), change);
    // A netem qdisc on the link's ports only sees frames transmitted on them: while one is
    // there, the switches transmit instead of delivering into the peer.
    for (auto [sw, port] : {std::pair{l.a, l.a_port}, std::pair{l.b, l.b_port}})
        bpf::SwitchPipeline::open(node_pin_dir(net_name, sw)).set_port_delivery(port, !st.netem);
    return st;
}

CollectorAttachment collector_attachment(const Topology& topo, const std::string& net_name) {
    net::check_net_name(net_name);
    return {net::node_netns(net_name, topo.collector_endpoint().name), kUplink};
}

json net_down(const std::string& net_name) {
    net::check_net_name(net_name);
    json removed = json::array();
    // Containers of this network first (their processes live in its namespaces).
    for (const char* kind : {"podman", "process"}) {
        try {
            auto backend = container::make_backend(kind);
            for (const auto& inst : backend->list(kNetLabel, net_name)) {
                backend->remove(inst.name);
                removed.push_back(inst.name);
            }
        } catch (const std::exception& e) {
            spdlog::debug("{} containers of {}: {}", kind, net_name, e.what());
        }
    }
    auto report = net::cleanup_network(net_name);
    // Its run-time records (a relocation's intent, the lock) describe nothing any more.
    std::error_code ec;
    std::filesystem::remove_all(std::filesystem::path(run_dir()) / net_name, ec);
    return {{"name", net_name},
            {"containers_removed", removed},
            {"netns_removed", report.netns_removed},
            {"processes_killed", report.processes_killed},
            {"pins_removed", report.pins_removed}};
}

std::vector<NodeNamespace> node_namespaces(const Topology& topo, const std::string& net_name) {
    std::vector<NodeNamespace> out;
    for (const auto& s : topo.switches)
        out.push_back({s.name, "switch", net::node_netns(net_name, s.name)});
    for (const auto& n : attached_nodes(topo))
        out.push_back({n.node, n.bridge ? "host" : "endpoint", net::node_netns(net_name, n.node)});
    return out;
}

json net_status(const Topology& topo, const std::string& net_name) {
    net::check_net_name(net_name);
    // A node is its namespace: one that was removed is reported missing, with the links and
    // ports that went with it, instead of failing the whole report.
    std::set<std::string> missing;
    json nodes = json::array();
    for (const auto& n : node_namespaces(topo, net_name)) {
        bool present = net::NetNs::exists(n.netns);
        if (!present)
            missing.insert(n.name);
        nodes.push_back(
            {{"name", n.name}, {"kind", n.kind}, {"state", present ? "up" : "missing"}});
    }
    if (missing.size() == nodes.size())
        throw RuntimeError("network '" + net_name + "' is not up (none of its namespaces exists)",
                           "start it with 'chima-net up'");
    json sws = json::array();
    for (const auto& s : topo.switches) {
        if (missing.count(s.name)) {
            sws.push_back({{"name", s.name}, {"state", "missing"}});
            continue;
        }
        auto pipeline = bpf::SwitchPipeline::open(node_pin_dir(net_name, s.name));
        json ports = json::array();
        auto add = [&](uint32_t port, const std::string& peer) {
            auto c = pipeline.port_counters(port);
            ports.push_back({{"port", port},
                             {"peer", peer},
                             {"rx_packets", c.rx_packets},
                             {"rx_bytes", c.rx_bytes},
                             {"tx_packets", c.tx_packets},
                             {"tx_bytes", c.tx_bytes}});
        };
        for (const auto& l : topo.links) {
            if (l.a == s.name)
                add(l.a_port, l.b);
            if (l.b == s.name)
                add(l.b_port, l.a);
        }
        for (const auto& n : attached_nodes(topo)) {
            if (n.at->sw == s.name)
                add(n.at->port, n.node);
        }
        json drops = json::object();
        auto d = pipeline.drop_counters();
        for (unsigned r = 1; r < d.size(); ++r)
            drops[bpf::drop_reason_name(r)] = d[r];
        json slots = json::array();
        for (uint32_t slot = 1; slot < CHIMA_MAX_SLOTS; ++slot) {
            if (uint32_t id = pipeline.slot_program_id(slot)) {
                slots.push_back({{"slot", slot}, {"program_id", id}});
            }
        }
        sws.push_back({{"name", s.name},
                       {"state", "up"},
                       {"ports", ports},
                       {"drops", drops},
                       {"slots", slots}});
    }
    json links = json::array();
    bool links_up = true;
    for (const auto& l : topo.links) {
        if (missing.count(l.a) || missing.count(l.b)) {
            links.push_back({{"name", l.name()}, {"up", false}, {"state", "missing"}});
            links_up = false;
            continue;
        }
        auto st = net::link_status(link_ref(topo, net_name, l.name()));
        json j = {{"name", l.name()},
                  {"up", st.up()},
                  {"state", st.up() ? "up" : "down"},
                  {"netem", st.netem}};
        links_up = links_up && st.up();
        if (st.delay_line) {
            j["delay_line"] = {{"delay_ns", st.delay_line->delay.count()},
                               {"jitter_ns", st.delay_line->jitter.count()},
                               {"loss", st.delay_line->loss},
                               {"rate_bps", st.delay_line->rate_bps}};
        }
        links.push_back(j);
    }
    json doc = new_state("chima.net-status", 1);
    doc["name"] = net_name;
    doc["health"] = !missing.empty() ? "degraded" : links_up ? "ok" : "degraded";
    doc["missing"] = missing;
    doc["nodes"] = nodes;
    doc["switches"] = sws;
    doc["links"] = links;
    return doc;
}

net::LinkRef link_ref(const Topology& topo, const std::string& net_name, const std::string& link) {
    const Link& l = named_link(topo, link);
    return {net_name, {l.a, port_ifname(l.a_port)}, {l.b, port_ifname(l.b_port)}};
}

}  // namespace chima::emulation
