// The embedded default: a topology built from network namespaces and veth pairs on one
// Linux host, with the CHIMA switch pipeline (eBPF) on every switch port and the host
// client on every traffic endpoint. This is chima-net's logic; chima-route, chima-install
// and chima-collect find what it built from the network's name alone.
//
// Layout of network NET (see chima/net/names.hpp for the netns names):
//   switch S      netns chima.NET.S, port N is interface pN, pipeline pinned at
//                 /sys/fs/bpf/chima/NET/S/
//   host H        netns chima.NET.H: eth0 (uplink to its switch) enslaved to bridge br0,
//                 which has the host's MAC and address; container functions attach to br0
//                 with veth pairs. The host client (TC egress on eth0) is pinned at
//                 /sys/fs/bpf/chima/NET/H/
//   client C      netns chima.NET.C: eth0 with the client's address and its host client
//   collector     on the client's endpoint unless the topology gives it its own
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "chima/model/net_state.hpp"
#include "chima/model/topology.hpp"
#include "chima/net/delay_line.hpp"
#include "chima/net/names.hpp"
#include "chima/net/perturb.hpp"
#include "chima/net/transaction.hpp"

namespace chima::emulation {

inline constexpr const char* kUplink = "eth0";
using net::kNetLabel;
inline constexpr const char* kHostBridge = "br0";

// Interface name of switch port N: "pN".
std::string port_ifname(uint32_t port);
// The pin directory of a node's BPF objects: /sys/fs/bpf/chima/NET/NODE.
std::string node_pin_dir(const std::string& net, const std::string& node);
// MAC of switch port N (locally administered, from the switch id).
Mac port_mac(const Switch& sw, uint32_t port);

// Builds the network; returns the net.json document. All or nothing: on an error or a
// signal (through `guard`) everything built so far is removed. RuntimeError when the
// network exists already.
NetState net_up(const Topology& topo, const std::string& net, const net::InterruptGuard* guard);

// Removes the network, its containers and pins; idempotent. Returns what it removed.
nlohmann::json net_down(const std::string& net);

// Per node: "up" or "missing" (its namespace is gone); per switch and port: the pipeline's
// counters; per link: up/down/missing and impairment; "health": "ok" when every node and
// link is up, else "degraded". RuntimeError when no node of the network exists.
nlohmann::json net_status(const Topology& topo, const std::string& net);

// Every node of the network with its namespace: switches, hosts, the client (and a
// separate collector). kind: "switch", "host" or "endpoint".
struct NodeNamespace {
    std::string name, kind, netns;
};
std::vector<NodeNamespace> node_namespaces(const Topology& topo, const std::string& net);

// chima-net perturb: applies `change` to the link named "a-b" (net::perturb) and keeps the
// switches' ports in step (a port with a netem qdisc is transmitted on, not bypassed).
net::LinkStatus perturb_link(const Topology& topo, const std::string& net, const std::string& link,
                             const net::Perturbation& change);

// Where the collector of network NET receives its reports: its netns and interface.
struct CollectorAttachment {
    std::string netns;
    std::string iface;
};
CollectorAttachment collector_attachment(const Topology& topo, const std::string& net);

// The link named "a-b" (either order) as the delay line and perturb functions see it.
net::LinkRef link_ref(const Topology& topo, const std::string& net, const std::string& link);

}  // namespace chima::emulation
