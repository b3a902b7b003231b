#include "chima/net/link.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "chima/error.hpp"
#include "chima/net/names.hpp"
#include "command.hpp"

namespace chima::net {

using detail::ip;

void create_veth(const VethPair& p) {
    check_ifname(p.if_a);
    check_ifname(p.if_b);
    std::vector<std::string> args{"link", "add", p.if_a};
    if (p.ifindex_a > 0)
        args.insert(args.end(), {"index", std::to_string(p.ifindex_a)});
    if (!p.mac_a.empty())
        args.insert(args.end(), {"address", p.mac_a});
    args.insert(args.end(), {"mtu", std::to_string(p.mtu), "type", "veth", "peer", "name", p.if_b});
    if (!p.mac_b.empty())
        args.insert(args.end(), {"address", p.mac_b});
    args.insert(args.end(), {"mtu", std::to_string(p.mtu), "netns", p.ns_b});
    ip(p.ns_a, args);
}

void set_link_up(const std::string& netns, const std::string& ifname, bool up) {
    ip(netns, {"link", "set", "dev", ifname, up ? "up" : "down"});
}

void add_address(const std::string& netns, const std::string& ifname, const std::string& cidr) {
    ip(netns, {"address", "add", cidr, "dev", ifname});
}

void add_neighbour(const std::string& netns, const std::string& ifname, const std::string& ipv4,
                   const std::string& mac) {
    ip(netns, {"neigh", "replace", ipv4, "lladdr", mac, "dev", ifname, "nud", "permanent"});
}

void add_route(const std::string& netns, const std::string& cidr,
               const std::optional<std::string>& via, const std::optional<std::string>& dev) {
    std::vector<std::string> args{"route", "replace", cidr};
    if (via)
        args.insert(args.end(), {"via", *via});
    if (dev)
        args.insert(args.end(), {"dev", *dev});
    ip(netns, args);
}

void set_sysctl(const NetNs& ns, const std::string& key, const std::string& value) {
    // /proc/sys/net resolves against the opening thread's namespace.
    ns.run([&] {
        const std::string path = "/proc/sys/" + key;
        int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
        if (fd < 0)
            throw_errno("open " + path + " in " + ns.name());
        ssize_t n = ::write(fd, value.data(), value.size());
        int saved = errno;
        ::close(fd);
        if (n != static_cast<ssize_t>(value.size())) {
            errno = saved;
            throw_errno("write " + path + " in " + ns.name());
        }
    });
}

void prepare_namespace(const NetNs& ns, bool ip_forward) {
    set_link_up(ns.name(), "lo", true);
    for (const char* scope : {"all", "default"}) {
        set_sysctl(ns, std::string("net/ipv6/conf/") + scope + "/disable_ipv6", "1");
        set_sysctl(ns, std::string("net/ipv4/conf/") + scope + "/rp_filter", "0");
    }
    set_sysctl(ns, "net/ipv4/ip_forward", ip_forward ? "1" : "0");
}

LinkInfo link_info(const std::string& netns, const std::string& ifname) {
    auto doc = nlohmann::json::parse(ip(netns, {"-j", "-d", "link", "show", "dev", ifname}));
    if (!doc.is_array() || doc.empty())
        throw RuntimeError("no interface " + ifname + " in " + netns);
    const auto& l = doc[0];
    LinkInfo info;
    info.ifindex = l.value("ifindex", 0);
    info.mac = l.value("address", "");
    info.mtu = l.value("mtu", 0);
    for (const auto& f : l.value("flags", nlohmann::json::array())) {
        if (f == "UP")
            info.admin_up = true;
    }
    info.peer_ifindex = l.value("link_index", 0);
    if (l.contains("linkinfo") && l["linkinfo"].is_object())
        info.kind = l["linkinfo"].value("info_kind", "");
    info.master = l.value("master", "");
    info.alias = l.value("ifalias", "");
    return info;
}

std::vector<std::string> ipv4_addresses(const std::string& netns, const std::string& ifname) {
    auto doc = nlohmann::json::parse(ip(netns, {"-j", "-4", "address", "show", "dev", ifname}));
    std::vector<std::string> out;
    for (const auto& l : doc)
        for (const auto& a : l.value("addr_info", nlohmann::json::array()))
            out.push_back(a.value("local", "") + "/" + std::to_string(a.value("prefixlen", 0)));
    return out;
}

bool link_exists(const std::string& netns, const std::string& ifname) {
    std::vector<std::string> argv{"ip"};
    if (!netns.empty())
        argv.insert(argv.end(), {"-n", netns});
    argv.insert(argv.end(), {"link", "show", "dev", ifname});
    return detail::run_command(argv).exit_code == 0;
}

}  // namespace chima::net
