#include "chima/net/delay_line.hpp"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "chima/error.hpp"
#include "chima/net/cleanup.hpp"
#include "chima/net/link.hpp"
#include "chima/net/names.hpp"
#include "chima/net/transaction.hpp"
#include "command.hpp"
#include "port_transplant.hpp"

namespace chima::net {

using detail::ip;
using detail::PortSnapshot;

namespace {

struct Names {
    std::string ns_b, dl;
};

Names names_of(const LinkRef& link) {
    check_net_name(link.net);
    for (const LinkEnd* e : {&link.a, &link.b}) {
        check_node_name(e->node);
        check_ifname(e->port);
    }
    return {node_netns(link.net, link.b.node),
            delay_line_netns(link.net, link.b.node, link.b.port)};
}

// (Re)starts the forwarder between dl-a and dl-b and records its settings on dl-a.
void start_forwarder(const NetNs& dl, const Impairment& imp) {
    kill_processes_in_netns(dl.name());
    ForwarderConfig config;
    config.west_ifindex = link_info(dl.name(), kDelayWestIf).ifindex;
    config.east_ifindex = link_info(dl.name(), kDelayEastIf).ifindex;
    config.impairment = imp;
    config.seed = static_cast<std::uint64_t>(dl.inode());
    pid_t pid = start_forwarder_daemon(dl, config);
    ip(dl.name(), {"link", "set", "dev", kDelayWestIf, "alias", to_string(imp)});
    spdlog::debug("delay line {} running as pid {}: {}", dl.name(), pid, to_string(imp));
}

// Moves an interface to another namespace under a new name; the kernel keeps its ifindex if
// that is free over there.
void move_link(const std::string& from_ns, const std::string& ifname, const std::string& to_ns,
               const std::string& new_name) {
    ip(from_ns, {"link", "set", "dev", ifname, "netns", to_ns, "name", new_name});
}

}  // namespace

void set_delay_line(const LinkRef& link, const Impairment& imp) {
    check_impairment(imp);
    const Names n = names_of(link);
    if (NetNs::exists(n.dl)) {
        start_forwarder(NetNs::open(n.dl), imp);
        return;
    }
    PortSnapshot original = PortSnapshot::capture(n.ns_b, link.b.port);
    const LinkInfo& info = original.info();

    BuildTransaction tx;
    NetNs dl = NetNs::create(n.dl);
    dl.release();  // the transaction owns the undo, in the right order
    tx.on_rollback("delete " + n.dl, [name = n.dl] {
        kill_processes_in_netns(name);
        NetNs::remove(name);
    });
    prepare_namespace(dl, false);

    move_link(n.ns_b, link.b.port, n.dl, kDelayWestIf);
    tx.on_rollback("move " + link.b.port + " back to " + n.ns_b, [&] {
        if (link_exists(n.ns_b, link.b.port))
            ip(n.ns_b, {"link", "del", "dev", link.b.port});
        move_link(n.dl, kDelayWestIf, n.ns_b, link.b.port);
        original.restore();
    });

    VethPair replacement;
    replacement.ns_a = n.ns_b;
    replacement.if_a = link.b.port;
    replacement.mac_a = info.mac;
    replacement.ifindex_a = info.ifindex;
    replacement.ns_b = n.dl;
    replacement.if_b = kDelayEastIf;
    replacement.mtu = info.mtu;
    create_veth(replacement);
    const int new_index = link_info(n.ns_b, link.b.port).ifindex;
    if (new_index != info.ifindex) {
        throw RuntimeError("could not keep ifindex " + std::to_string(info.ifindex) + " of " +
                           link.b.port + " in " + n.ns_b);
    }
    set_link_up(n.dl, kDelayWestIf, true);
    set_link_up(n.dl, kDelayEastIf, true);
    original.restore();
    start_forwarder(dl, imp);
    tx.commit();
}

bool remove_delay_line(const LinkRef& link) {
    const Names n = names_of(link);
    if (!NetNs::exists(n.dl))
        return false;
    kill_processes_in_netns(n.dl);
    if (!link_exists(n.dl, kDelayWestIf)) {
        throw RuntimeError("delay line " + n.dl + " lost its link to " + link.a.node,
                           "run chima-net down and up again");
    }
    PortSnapshot current = PortSnapshot::capture(n.ns_b, link.b.port);
    ip(n.ns_b, {"link", "del", "dev", link.b.port});
    move_link(n.dl, kDelayWestIf, n.ns_b, link.b.port);
    current.restore();
    if (link_info(n.ns_b, link.b.port).ifindex != current.info().ifindex) {
        spdlog::warn("{}: {} came back with another ifindex", n.ns_b, link.b.port);
    }
    ip(n.ns_b, {"link", "set", "dev", link.b.port, "alias", ""});
    NetNs::remove(n.dl);
    return true;
}

std::optional<Impairment> delay_line_settings(const LinkRef& link) {
    const Names n = names_of(link);
    if (!NetNs::exists(n.dl))
        return std::nullopt;
    auto doc = nlohmann::json::parse(ip(n.dl, {"-j", "link", "show", "dev", kDelayWestIf}));
    return parse_impairment(doc.at(0).value("ifalias", ""));
}

}  // namespace chima::net
