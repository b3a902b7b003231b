#include "chima/net/net_builder.hpp"

#include "chima/error.hpp"
#include "chima/net/cleanup.hpp"
#include "chima/net/link.hpp"
#include "chima/net/names.hpp"

namespace chima::net {

NetBuilder::NetBuilder(std::string net, const InterruptGuard* guard)
    : net_(std::move(net)), guard_(guard) {
    check_net_name(net_);
    if (network_exists(net_)) {
        throw RuntimeError("network " + net_ + " exists already",
                           "take it down first (chima-net down), which also clears leftovers");
    }
    // Registered first, so it runs last: after the caller's own undo steps.
    tx_.on_rollback("remove network " + net_, [net = net_] { cleanup_network(net); });
}

std::string NetBuilder::netns_of(const std::string& node) const {
    return node_netns(net_, node);
}

void NetBuilder::check_interrupt() const {
    if (guard_)
        guard_->check();
}

void NetBuilder::add_node(const std::string& node, bool ip_forward) {
    check_interrupt();
    check_node_name(node);
    NetNs ns = NetNs::create(netns_of(node));
    ns.release();  // removed by name on rollback
    prepare_namespace(ns, ip_forward);
}

void NetBuilder::add_link(const LinkSpec& link) {
    check_interrupt();
    VethPair pair;
    pair.ns_a = netns_of(link.a.node);
    pair.if_a = link.a.port;
    pair.mac_a = link.mac_a;
    pair.ns_b = netns_of(link.b.node);
    pair.if_b = link.b.port;
    pair.mac_b = link.mac_b;
    pair.mtu = link.mtu;
    create_veth(pair);
    if (link.up) {
        set_link_up(pair.ns_a, pair.if_a, true);
        set_link_up(pair.ns_b, pair.if_b, true);
    }
}

void NetBuilder::add_address(const std::string& node, const std::string& port,
                             const std::string& cidr) {
    check_interrupt();
    net::add_address(netns_of(node), port, cidr);
}

void NetBuilder::add_neighbour(const std::string& node, const std::string& port,
                               const std::string& ipv4, const std::string& mac) {
    check_interrupt();
    net::add_neighbour(netns_of(node), port, ipv4, mac);
}

void NetBuilder::add_route(const std::string& node, const std::string& cidr,
                           const std::optional<std::string>& via,
                           const std::optional<std::string>& dev) {
    check_interrupt();
    net::add_route(netns_of(node), cidr, via, dev);
}

void NetBuilder::set_sysctl(const std::string& node, const std::string& key,
                            const std::string& value) {
    check_interrupt();
    net::set_sysctl(NetNs::open(netns_of(node)), key, value);
}

}  // namespace chima::net
