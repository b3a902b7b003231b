#include "ebpf_host.hpp"

#include <net/if.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "chima/error.hpp"
#include "chima/net/ip_batch.hpp"
#include "chima/net/link.hpp"
#include "chima/net/netns.hpp"
#include "chima/net/offloads.hpp"
#include "chima/process/child_process.hpp"

namespace chima::device {

namespace {

constexpr const char* kFunctionIf = "eth0";

// An interface's index in a namespace, 0 when it has none of that name.
int ifindex_in(const net::NetNs& ns, const std::string& ifname) {
    unsigned index = 0;
    ns.run([&] { index = ::if_nametoindex(ifname.c_str()); });
    return static_cast<int>(index);
}

// Whether a UDP socket is bound to `port` in the namespace: the namespace's
// /proc/net/udp, read from a thread inside it (no process spawned per probe).
bool listens_udp(const net::NetNs& ns, uint16_t port) {
    bool found = false;
    ns.run([&] {
        std::ifstream udp("/proc/thread-self/net/udp");
        std::string line;
        std::getline(udp, line);  // header
        char wanted[8];
        std::snprintf(wanted, sizeof wanted, ":%04X", port);
        while (std::getline(udp, line)) {
            // "  sl  local_address rem_address ...": local_address is ADDR:PORT in hex.
            std::istringstream fields(line);
            std::string slot, local;
            fields >> slot >> local;
            if (local.size() > 5 && local.compare(local.size() - 5, 5, wanted) == 0)
                found = true;
        }
    });
    return found;
}

}  // namespace

container::Backend& ContainerBackends::get(const std::string& kind) {
    std::lock_guard lock(mutex_);
    if (auto failed = failed_.find(kind); failed != failed_.end())
        std::rethrow_exception(failed->second);
    auto& b = backends_[kind];
    if (!b) {
        try {
            b = container::make_backend(kind, options_);
        } catch (...) {
            backends_.erase(kind);
            failed_[kind] = std::current_exception();
            throw;
        }
    }
    return *b;
}

EbpfHost::EbpfHost(std::string name, std::string pin_dir, HostPlace place,
                   ContainerBackends& backends)
    : name_(std::move(name)),
      pin_dir_(std::move(pin_dir)),
      place_(std::move(place)),
      backends_(backends) {}

bpf::HostClient& EbpfHost::client() const {
    std::lock_guard lock(client_mutex_);
    if (!client_)
        client_.emplace(bpf::HostClient::open(pin_dir_));
    return *client_;
}

std::string EbpfHost::netns_path_name(const std::string& function_netns) const {
    return place_.function_netns_prefix + function_netns;
}

void EbpfHost::set_flow(Ipv4 src, Ipv4 dst, const LabelStack& stack) {
    client().set_flow(src, dst, stack);
}

void EbpfHost::delete_flow(Ipv4 src, Ipv4 dst) {
    client().delete_flow(src, dst);
}

std::optional<LabelStack> EbpfHost::flow(Ipv4 src, Ipv4 dst) const {
    return client().flow(src, dst);
}

void EbpfHost::add_neighbours(const std::vector<Neighbour>& entries) {
    std::vector<net::Neighbour> batch;
    for (const auto& e : entries)
        batch.push_back({e.ip.str(), e.mac.str()});
    net::add_neighbours(place_.netns, place_.bridged ? place_.bridge : place_.uplink, batch);
}

bool EbpfHost::has_function_netns(const std::string& netns) const {
    return net::NetNs::exists(netns_path_name(netns));
}

void EbpfHost::create_function_netns(const std::string& netns) {
    if (!net::NetNs::exists(place_.netns)) {
        throw RuntimeError("host " + name_ + " has no namespace " + place_.netns +
                           " (is the network up?)");
    }
    // Empty but for its settings: what a container joins. Removed again if a setting fails.
    auto ns = net::NetNs::create(netns_path_name(netns));
    for (const char* scope : {"all", "default"}) {
        net::set_sysctl(ns, std::string("net/ipv6/conf/") + scope + "/disable_ipv6", "1");
        net::set_sysctl(ns, std::string("net/ipv4/conf/") + scope + "/rp_filter", "0");
    }
    net::set_sysctl(ns, "net/ipv4/ip_forward", "0");
    ns.release();
}

void EbpfHost::plumb_function_port(const FunctionPort& port) {
    std::string fn_netns = netns_path_name(port.netns);
    // Four processes in all (ip, ip, bridge, ip): the rest happens in this process, on
    // threads inside the namespaces. On a failure the caller removes the namespace.
    auto ns = net::NetNs::open(fn_netns);
    auto host = net::NetNs::open(place_.netns);
    // The alternate instance's host end has its own name too: an old instance on the same
    // host keeps its link while the new one starts.
    std::string host_if = "f" + std::to_string(port.function_id) + (port.alternate ? "b" : "");
    if (ifindex_in(host, host_if) != 0) {
        // A leftover of an instance whose netns is gone but not yet its last user, or not yet
        // cleaned up by the kernel (that happens asynchronously: it may vanish meanwhile).
        auto del = process::run({"ip", "-n", place_.netns, "link", "del", host_if});
        if (!del.status.ok() && ifindex_in(host, host_if) != 0) {
            throw RuntimeError("cannot remove the leftover interface " + host_if + " in " +
                               place_.netns + ": " + del.err);
        }
    }
    net::run_ip_batch(
        fn_netns,
        {"link set lo up", std::string("link add ") + kFunctionIf + " address " + port.mac.str() +
                               " type veth peer name " + host_if + " netns " + place_.netns});
    net::disable_offloads(ns, kFunctionIf);
    net::disable_offloads(host, host_if);
    net::run_ip_batch(place_.netns, {"link set " + host_if + " master " + place_.bridge,
                                     "link set " + host_if + " up"});
    // The bridge finds the function by a static entry, never by learning: a frame of this
    // function that hairpins through the switch comes back on eth0 with its MAC as source.
    process::run_checked({"bridge", "-n", place_.netns, "fdb", "replace", port.mac.str(), "dev",
                          host_if, "master", "static"});
    // Everything the function sends leaves through the host's uplink, also toward a function
    // on this same host: the chain's segments between them (a P4 function, INT) are in the
    // switch, so the bridge must not short-cut them.
    int host_ifindex = ifindex_in(host, host_if);
    auto& c = client();
    host.run([&] { c.attach_function_port(host_ifindex); });
    std::vector<std::string> commands = {std::string("link set ") + kFunctionIf + " up",
                                         "address add " + port.ip.str() + "/24 dev " + kFunctionIf};
    for (const auto& e : port.neighbours) {
        commands.push_back("neigh replace " + e.ip.str() + " lladdr " + e.mac.str() + " dev " +
                           kFunctionIf + " nud permanent");
    }
    net::run_ip_batch(fn_netns, commands);
}

void EbpfHost::remove_function_netns(const std::string& netns) {
    net::NetNs::remove(netns_path_name(netns));
}

bool EbpfHost::wait_serving(const std::string& netns, uint16_t port,
                            std::chrono::milliseconds limit) const {
    auto ns = net::NetNs::open(netns_path_name(netns));
    auto deadline = std::chrono::steady_clock::now() + limit;
    do {
        if (listens_udp(ns, port))
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    } while (std::chrono::steady_clock::now() < deadline);
    return false;
}

container::Image EbpfHost::ensure_image(const std::string& kind,
                                        const container::ImageSpec& image) {
    return backends_.get(kind).ensure_image(image);
}

container::Instance EbpfHost::start_function(const std::string& kind,
                                             const container::FunctionSpec& spec) {
    container::FunctionSpec in_netns = spec;
    in_netns.netns = netns_path_name(spec.netns);
    return backends_.get(kind).run(in_netns);
}

void EbpfHost::stop_function(const std::string& kind, const std::string& instance) {
    backends_.get(kind).remove(instance);
}

container::Instance EbpfHost::inspect_function(const std::string& kind,
                                               const std::string& instance) {
    return backends_.get(kind).inspect(instance);
}

std::vector<container::Instance> EbpfHost::list_functions(const std::string& kind,
                                                          const std::string& label_key,
                                                          const std::string& label_value) {
    return backends_.get(kind).list(label_key, label_value);
}

std::unique_ptr<container::HealthWatcher> EbpfHost::watch_health(
    const std::string& kind, container::HealthWatcher::Sink sink) {
    return std::make_unique<container::PidfdHealthWatcher>(backends_.get(kind), std::move(sink));
}

}  // namespace chima::device
