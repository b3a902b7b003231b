#include "port_transplant.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <net/if.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "chima/error.hpp"
#include "command.hpp"

namespace chima::net::detail {

using nlohmann::json;

namespace {

json ip_json(const std::string& netns, const std::vector<std::string>& args) {
    std::vector<std::string> full{"-j"};
    full.insert(full.end(), args.begin(), args.end());
    std::string out = ip(netns, full);
    return out.find_first_not_of(" \n") == std::string::npos ? json::array() : json::parse(out);
}

void capture_filters(const std::string& netns, const std::string& ifname, bool ingress,
                     std::vector<TcFilter>& out) {
    std::string text =
        tc(netns, {"-j", "filter", "show", "dev", ifname, ingress ? "ingress" : "egress"});
    if (text.find_first_not_of(" \n") == std::string::npos)
        return;
    for (const auto& f : json::parse(text)) {
        if (f.value("kind", "") != "bpf" || !f.contains("options"))
            continue;
        const auto& o = f["options"];
        if (!o.contains("prog"))
            continue;
        if (!o.value("direct-action", false)) {
            spdlog::warn("{}: TC filter on {} is not direct-action; it is not carried over", netns,
                         ifname);
            continue;
        }
        TcFilter t;
        t.ingress = ingress;
        t.priority = f.value("pref", 0);
        t.handle = std::stoul(o.value("handle", "0"), nullptr, 16);
        t.prog_name = o["prog"].value("name", "");
        unsigned id = o["prog"].value("id", 0u);
        t.prog_fd = bpf_prog_get_fd_by_id(id);
        if (t.prog_fd < 0)
            throw_errno("get BPF program " + std::to_string(id) + " on " + ifname);
        out.push_back(t);
    }
}

}  // namespace

PortSnapshot PortSnapshot::capture(const std::string& netns, const std::string& ifname) {
    PortSnapshot s;
    s.netns_ = netns;
    s.ifname_ = ifname;
    s.info_ = link_info(netns, ifname);
    for (const auto& link : ip_json(netns, {"address", "show", "dev", ifname})) {
        for (const auto& a : link.value("addr_info", json::array())) {
            if (a.value("family", "") != "inet")
                continue;
            s.addresses_.push_back(a.value("local", "") + "/" +
                                   std::to_string(a.value("prefixlen", 32)));
        }
    }
    for (const auto& n : ip_json(netns, {"neigh", "show", "dev", ifname, "nud", "permanent"})) {
        if (n.contains("dst") && n.contains("lladdr")) {
            s.neighbours_.emplace_back(n["dst"].get<std::string>(), n["lladdr"].get<std::string>());
        }
    }
    for (const auto& r : ip_json(netns, {"route", "show", "dev", ifname})) {
        if (r.value("protocol", "") == "kernel")
            continue;  // comes back with the address
        std::vector<std::string> args{"route", "replace", r.value("dst", "default")};
        if (r.contains("gateway"))
            args.insert(args.end(), {"via", r["gateway"].get<std::string>()});
        args.insert(args.end(), {"dev", ifname});
        if (r.contains("metric"))
            args.insert(args.end(), {"metric", std::to_string(r["metric"].get<int>())});
        if (r.contains("prefsrc"))
            args.insert(args.end(), {"src", r["prefsrc"].get<std::string>()});
        s.routes_.push_back(std::move(args));
    }
    capture_filters(netns, ifname, true, s.filters_);
    capture_filters(netns, ifname, false, s.filters_);
    return s;
}

PortSnapshot::PortSnapshot(PortSnapshot&& o) noexcept {
    *this = std::move(o);
}

PortSnapshot& PortSnapshot::operator=(PortSnapshot&& o) noexcept {
    if (this != &o) {
        close_fds();
        netns_ = std::move(o.netns_);
        ifname_ = std::move(o.ifname_);
        info_ = o.info_;
        addresses_ = std::move(o.addresses_);
        neighbours_ = std::move(o.neighbours_);
        routes_ = std::move(o.routes_);
        filters_ = std::move(o.filters_);
        o.filters_.clear();
    }
    return *this;
}

PortSnapshot::~PortSnapshot() {
    close_fds();
}

void PortSnapshot::close_fds() noexcept {
    for (auto& f : filters_) {
        if (f.prog_fd >= 0)
            ::close(f.prog_fd);
        f.prog_fd = -1;
    }
}

void PortSnapshot::restore() const {
    if (!filters_.empty()) {
        NetNs::open(netns_).run([&] {
            int ifindex = static_cast<int>(::if_nametoindex(ifname_.c_str()));
            if (ifindex == 0)
                throw_errno("no interface " + ifname_ + " in " + netns_);
            for (const auto& f : filters_) {
                LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
                            .attach_point = f.ingress ? BPF_TC_INGRESS : BPF_TC_EGRESS);
                int rc = bpf_tc_hook_create(&hook);
                if (rc != 0 && rc != -EEXIST) {
                    errno = -rc;
                    throw_errno("create clsact on " + ifname_);
                }
                LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = f.prog_fd, .flags = BPF_TC_F_REPLACE,
                            .handle = f.handle, .priority = static_cast<__u32>(f.priority));
                rc = bpf_tc_attach(&hook, &opts);
                if (rc != 0) {
                    errno = -rc;
                    throw_errno("re-attach TC program " + f.prog_name + " on " + ifname_);
                }
            }
        });
    }
    for (const auto& a : addresses_)
        ip(netns_, {"address", "replace", a, "dev", ifname_});
    if (info_.admin_up)
        set_link_up(netns_, ifname_, true);
    for (const auto& [addr, mac] : neighbours_)
        add_neighbour(netns_, ifname_, addr, mac);
    for (const auto& r : routes_)
        ip(netns_, r);
}

}  // namespace chima::net::detail
