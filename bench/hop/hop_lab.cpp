#include "hop_lab.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include "bpf_run.hpp"
#include "chima/bpf/tc.hpp"
#include "chima/error.hpp"
#include "chima/net/link.hpp"
#include "chima/process/child_process.hpp"
#include "hop_redirect.skel.h"
#include "hop_sink.skel.h"

namespace chima::bench {

namespace fs = std::filesystem;

namespace {

constexpr const char* kPrefix = "chima-bench-hop-";
const char* const kGenIf[kPaths] = {"to-direct", "to-chima", "to-bridge", "to-redir"};
const char* const kSinkIf[kPaths] = {"from-direct", "from-chima", "from-bridge", "from-redir"};
const char kChainNode[kPaths] = {0, 's', 'b', 'r'};

void ip(const std::string& ns, std::vector<std::string> args) {
    args.insert(args.begin(), {"ip", "-n", ns});
    process::run_checked(args);
}

void veth(const std::string& ns_a, const std::string& if_a, uint64_t mac_a, const std::string& ns_b,
          const std::string& if_b, uint64_t mac_b) {
    net::create_veth({.ns_a = ns_a,
                      .if_a = if_a,
                      .mac_a = Mac{mac_a}.str(),
                      .ns_b = ns_b,
                      .if_b = if_b,
                      .mac_b = Mac{mac_b}.str()});
    net::set_link_up(ns_a, if_a, true);
    net::set_link_up(ns_b, if_b, true);
}

}  // namespace

const char* path_name(Path p) {
    switch (p) {
        case Path::Direct:
            return "direct";
        case Path::Chima:
            return "chima";
        case Path::Bridge:
            return "bridge";
        case Path::Redirect:
            return "redirect";
    }
    return "?";
}

void remove_stale_labs() {
    for (const auto& name : net::NetNs::list(kPrefix)) {
        pid_t pid = std::atoi(name.c_str() + std::char_traits<char>::length(kPrefix));
        if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH)
            net::NetNs::remove(name);
    }
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/sys/fs/bpf", ec)) {
        std::string name = e.path().filename();
        if (name.rfind(kPrefix, 0) != 0)
            continue;
        pid_t pid = std::atoi(name.c_str() + std::char_traits<char>::length(kPrefix));
        if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH)
            fs::remove_all(e.path(), ec);
    }
}

HopLab::PinRoot::~PinRoot() {
    std::error_code ec;
    if (!path.empty())
        fs::remove_all(path, ec);
}

void HopLab::SinkDeleter::operator()(hop_sink* skel) const {
    hop_sink__destroy(skel);
}

void HopLab::RedirectDeleter::operator()(hop_redirect* skel) const {
    hop_redirect__destroy(skel);
}

HopLab::HopLab(bool deliver_to_peer)
    : prefix_(kPrefix + std::to_string(::getpid()) + "-"), deliver_to_peer_(deliver_to_peer) {
    pins_.path = fs::path("/sys/fs/bpf") / (kPrefix + std::to_string(::getpid()));
    for (std::string node : {"gen", "sink", "s1", "s2", "s3", "b1", "b2", "b3", "r1", "r2", "r3"}) {
        namespaces_.push_back(net::NetNs::create(prefix_ + node));
        net::prepare_namespace(namespaces_.back(), false);
    }
    const std::string gen = prefix_ + "gen", sink = prefix_ + "sink";
    veth(gen, kGenIf[0], kGenMac, sink, kSinkIf[0], kSinkMac);
    for (int chain = 1; chain < kPaths; ++chain) {
        const char kind = kChainNode[chain];
        auto node = [&](int i) { return prefix_ + kind + std::to_string(i); };
        veth(gen, kGenIf[chain], kGenMac, node(1), "p1", switch_port_mac(1, 1));
        for (int i = 1; i < kHops; ++i)
            veth(node(i), "p2", switch_port_mac(i, 2), node(i + 1), "p1",
                 switch_port_mac(i + 1, 1));
        veth(node(kHops), "p2", switch_port_mac(kHops, 2), sink, kSinkIf[chain], kSinkMac);
    }
    for (int p = 0; p < kPaths; ++p) {
        gen_ifindex_[p] = net::link_info(gen, kGenIf[p]).ifindex;
        sink_ifindex_[p] = net::link_info(sink, kSinkIf[p]).ifindex;
    }
    for (int i = 1; i <= kHops; ++i) {
        build_chima_switch(i);
        build_bridge(i);
        build_redirect(i);
    }
    build_sink();
}

HopLab::~HopLab() {
    switches_.clear();
    namespaces_.clear();  // interfaces and their TC filters go with the namespaces
}

const net::NetNs& HopLab::ns(const std::string& node) const {
    for (const auto& n : namespaces_)
        if (n.name() == prefix_ + node)
            return n;
    throw RuntimeError("no namespace " + prefix_ + node);
}

void HopLab::build_chima_switch(int index) {
    const std::string name = "s" + std::to_string(index);
    const std::string netns = prefix_ + name;
    auto sw = bpf::SwitchPipeline::create(pins_.path / name);
    int p1 = net::link_info(netns, "p1").ifindex;
    int p2 = net::link_info(netns, "p2").ifindex;
    uint64_t next_mac = index == kHops ? kSinkMac : switch_port_mac(index + 1, 1);
    uint64_t prev_mac = index == 1 ? kGenMac : switch_port_mac(index - 1, 2);
    // As chima-net configures ports between switches: frames keep their MACs.
    sw.set_port(1, {static_cast<uint32_t>(p1), Mac{switch_port_mac(index, 1)}, Mac{prev_mac}, false,
                    deliver_to_peer_});
    sw.set_port(2, {static_cast<uint32_t>(p2), Mac{switch_port_mac(index, 2)}, Mac{next_mac}, false,
                    deliver_to_peer_});
    sw.set_mac_route(Mac{kSinkMac}, 2);
    sw.install_function(kPassthroughSlot, test::bpf_object_path("testfn_passthrough"));
    ns(name).run([&] { sw.attach(p1); });
    switches_.push_back(std::move(sw));
}

void HopLab::build_bridge(int index) {
    const std::string name = "b" + std::to_string(index);
    const std::string netns = prefix_ + name;
    // br_netfilter is loaded on this machine: its per-namespace switches go off, so bridged
    // frames never visit iptables.
    if (fs::exists("/proc/sys/net/bridge")) {
        for (const char* key :
             {"bridge-nf-call-iptables", "bridge-nf-call-ip6tables", "bridge-nf-call-arptables"})
            net::set_sysctl(ns(name), std::string("net/bridge/") + key, "0");
    }
    ip(netns, {"link", "add", "br0", "type", "bridge", "forward_delay", "0", "stp_state", "0"});
    ip(netns, {"link", "set", "p1", "master", "br0"});
    ip(netns, {"link", "set", "p2", "master", "br0"});
    ip(netns, {"link", "set", "br0", "up"});
    // The sink never sends: a static entry makes the bridge forward, not flood.
    process::run_checked({"bridge", "-n", netns, "fdb", "replace", Mac{kSinkMac}.str(), "dev", "p2",
                          "master", "static"});
}

void HopLab::build_redirect(int index) {
    const std::string name = "r" + std::to_string(index);
    const std::string netns = prefix_ + name;
    std::unique_ptr<hop_redirect, RedirectDeleter> skel(hop_redirect__open());
    if (!skel)
        throw RuntimeError("cannot open hop_redirect");
    skel->rodata->target_ifindex = static_cast<uint32_t>(net::link_info(netns, "p2").ifindex);
    if (hop_redirect__load(skel.get()) != 0)
        throw RuntimeError("the kernel refused hop_redirect");
    int p1 = net::link_info(netns, "p1").ifindex;
    int prog = bpf_program__fd(skel->progs.hop_redirect);
    ns(name).run([&] { bpf::attach_tc(p1, bpf::TcDirection::Ingress, prog); });
    redirects_.push_back(std::move(skel));
}

void HopLab::build_sink() {
    sink_.reset(hop_sink__open_and_load());
    if (!sink_)
        throw RuntimeError("the kernel refused the sink program (hop_sink)");
    int prog = bpf_program__fd(sink_->progs.hop_sink);
    ns("sink").run([&] {
        for (int ifindex : sink_ifindex_)
            bpf::attach_tc(ifindex, bpf::TcDirection::Ingress, prog);
    });
}

uint64_t HopLab::sink_count(Path p) const {
    uint32_t key = static_cast<uint32_t>(sink_ifindex_[static_cast<int>(p)]) % 256;
    int ncpu = libbpf_num_possible_cpus();
    std::vector<uint64_t> per_cpu(static_cast<size_t>(ncpu));
    if (bpf_map_lookup_elem(bpf_map__fd(sink_->maps.hop_sink_count), &key, per_cpu.data()) != 0)
        throw_errno("read the sink counter");
    uint64_t total = 0;
    for (uint64_t v : per_cpu)
        total += v;
    return total;
}

uint64_t HopLab::switch_drops() const {
    uint64_t total = 0;
    for (const auto& sw : switches_)
        for (uint64_t n : sw.drop_counters())
            total += n;
    return total;
}

}  // namespace chima::bench
