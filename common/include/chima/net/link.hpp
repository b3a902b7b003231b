// Building blocks for links inside named namespaces: veth pairs, addresses, neighbours,
// routes, sysctls, link state. Plain values in, kernel objects out; nothing here knows the
// topology model. Namespaces are given by name (see names.hpp); an empty name means the
// caller's own namespace. Failures throw RuntimeError carrying the kernel's message.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "chima/net/netns.hpp"

namespace chima::net {

// One veth pair with its ends already in their namespaces. MAC empty = kernel's random one.
struct VethPair {
    std::string ns_a, if_a, mac_a;
    std::string ns_b, if_b, mac_b;
    int mtu = 1500;
    int ifindex_a = 0;  // 0 = kernel's choice; else this ifindex for the A end
};

// Creates the pair directly in both namespaces (never in the caller's), both ends down.
void create_veth(const VethPair& pair);

// Sets one interface up or down.
void set_link_up(const std::string& netns, const std::string& ifname, bool up);

// Adds an address such as "10.0.0.1/24".
void add_address(const std::string& netns, const std::string& ifname, const std::string& cidr);

// Adds (or replaces) a permanent ARP entry: ipv4 is reachable at mac through ifname.
void add_neighbour(const std::string& netns, const std::string& ifname, const std::string& ipv4,
                   const std::string& mac);

// Adds (or replaces) a route to `cidr` ("default" allowed) via a gateway and/or a device.
void add_route(const std::string& netns, const std::string& cidr,
               const std::optional<std::string>& via, const std::optional<std::string>& dev);

// Writes /proc/sys/<key> inside the namespace, e.g. key "net/ipv4/ip_forward", value "1".
void set_sysctl(const NetNs& ns, const std::string& key, const std::string& value);

// The settings every namespace of ours gets right after creation: loopback up, IPv6 off
// (no router solicitations or DAD noise on our links), reverse-path filtering off (the
// emulated paths are asymmetric on purpose), IPv4 forwarding as asked.
void prepare_namespace(const NetNs& ns, bool ip_forward);

// What the kernel says about one interface.
struct LinkInfo {
    int ifindex = 0;
    std::string mac;
    int mtu = 0;
    bool admin_up = false;
    int peer_ifindex = 0;  // veth peer's ifindex (in the peer's namespace); 0 if none
    std::string kind;      // "veth", "bridge", ...; "" for a physical NIC
    std::string master;    // the bridge it is a port of; "" when none
    std::string alias;     // its ifalias; "" when none
};
// Throws RuntimeError if the interface does not exist.
LinkInfo link_info(const std::string& netns, const std::string& ifname);
bool link_exists(const std::string& netns, const std::string& ifname);
// The interface's IPv4 addresses as ADDR/LEN.
std::vector<std::string> ipv4_addresses(const std::string& netns, const std::string& ifname);

}  // namespace chima::net
