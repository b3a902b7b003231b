#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include <spdlog/spdlog.h>

#include "chima/bpf/host_client.hpp"
#include "chima/unique_fd.hpp"
#include "chima/container/compose_file.hpp"
#include "chima/deploy/containers.hpp"
#include "chima/deploy/ip_batch.hpp"
#include "chima/emulation/emulated_network.hpp"
#include "chima/error.hpp"
#include "chima/net/link.hpp"
#include "chima/net/names.hpp"
#include "chima/net/netns.hpp"
#include "chima/process/child_process.hpp"

namespace chima::deploy {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kAlternateSuffix = "-b";
constexpr const char* kFunctionIf = "eth0";
constexpr const char* kChainLabel = "chima.chain";
constexpr const char* kDeploymentLabel = "chima.deployment";

bool is_context(const fs::path& dir, const std::string& binary) {
    return fs::is_regular_file(dir / "Containerfile") && fs::is_regular_file(dir / binary);
}

// An interface's index in a namespace, 0 when it has none of that name.
int ifindex_in(const net::NetNs& ns, const std::string& ifname) {
    unsigned index = 0;
    ns.run([&] { index = ::if_nametoindex(ifname.c_str()); });
    return static_cast<int>(index);
}

// Same as emulated_network.cpp (`ethtool -K IF tx off tso off gso off gro off`, here by
// its ioctls, from a thread inside the namespace): the pipeline moves L4 headers when it
// pops labels, so a checksum the kernel would fill in later would land at the wrong offset.
void disable_offloads(const net::NetNs& ns, const std::string& ifname) {
    ns.run([&] {
        UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        if (!sock)
            throw_errno("socket for ethtool in " + ns.name());
        for (uint32_t cmd : {ETHTOOL_STXCSUM, ETHTOOL_STSO, ETHTOOL_SGSO, ETHTOOL_SGRO}) {
            ethtool_value value{cmd, 0};
            ifreq req{};
            std::snprintf(req.ifr_name, sizeof req.ifr_name, "%s", ifname.c_str());
            req.ifr_data = reinterpret_cast<char*>(&value);
            if (::ioctl(sock.get(), SIOCETHTOOL, &req) != 0)
                throw_errno("ethtool offloads off on " + ifname + " in " + ns.name());
        }
    });
}

std::vector<const PlacedFunction*> container_functions(const Deployment& d) {
    std::vector<const PlacedFunction*> out;
    for (const auto& f : d.functions) {
        if (f.spec.type == FunctionType::Container)
            out.push_back(&f);
    }
    return out;
}

// CHIMA_NEXT of each container function: the next container function of its chain.
std::map<std::string, std::string> next_addresses(const Deployment& d) {
    std::map<std::string, std::string> next;
    for (const auto& chain : d.chains) {
        const PlacedFunction* later = nullptr;
        for (auto it = chain.functions.rbegin(); it != chain.functions.rend(); ++it) {
            const PlacedFunction* f = d.find_function(chain.name, *it);
            if (!f || f->spec.type != FunctionType::Container)
                continue;
            if (later) {
                next[f->chain + "/" + f->spec.name] =
                    later->ip.str() + ":" + std::to_string(later->spec.port);
            }
            later = f;
        }
    }
    return next;
}

// Backends by kind, made once each; shared by the per-function threads.
class Backends {
  public:
    explicit Backends(const ContainerOptions& options) {
        options_.podman_socket = options.podman_socket;
    }

    container::Backend& get(const std::string& kind) {
        std::lock_guard lock(mutex_);
        auto& b = backends_[kind];
        if (!b)
            b = container::make_backend(kind, options_);
        return *b;
    }

  private:
    container::BackendOptions options_;
    std::mutex mutex_;
    std::map<std::string, std::unique_ptr<container::Backend>> backends_;
};

// The function's netns on its host's bridge (see containers.hpp).
// The namespace of the function's host; RuntimeError when the network is not up.
std::string host_netns_of(const std::string& net, const PlacedFunction& f) {
    std::string host_ns = net::node_netns(net, f.node);
    if (!net::NetNs::exists(host_ns)) {
        throw RuntimeError("host " + f.node + " of function " + f.spec.name + " has no namespace " +
                           host_ns + " (is the network up?)");
    }
    return host_ns;
}

// The function's own network namespace, empty but for its settings: what a container joins.
void create_function_netns(const std::string& netns_name) {
    auto ns = net::NetNs::create(netns_name);  // removed again if the settings fail
    for (const char* scope : {"all", "default"}) {
        net::set_sysctl(ns, std::string("net/ipv6/conf/") + scope + "/disable_ipv6", "1");
        net::set_sysctl(ns, std::string("net/ipv4/conf/") + scope + "/rp_filter", "0");
    }
    net::set_sysctl(ns, "net/ipv4/ip_forward", "0");
    ns.release();
}

void plumb_function_netns(const Deployment& d, const std::string& net, const PlacedFunction& f,
                          const std::string& netns_name, const std::string& suffix) {
    std::string host_ns = host_netns_of(net, f);
    // Four processes in all (ip, ip, bridge, ip): the rest happens in this process, on
    // threads inside the namespaces. The namespace itself exists already
    // (create_function_netns); on a failure the caller removes it.
    auto ns = net::NetNs::open(netns_name);
    auto host = net::NetNs::open(host_ns);
    // The alternate instance's host end has its own name too: an old instance on the same
    // host keeps its link while the new one starts.
    std::string host_if = "f" + std::to_string(f.function_id) + (suffix.empty() ? "" : "b");
    if (ifindex_in(host, host_if) != 0) {
        // A leftover of an instance whose netns is gone but not yet its last user, or not yet
        // cleaned up by the kernel (that happens asynchronously: it may vanish meanwhile).
        auto del = process::run({"ip", "-n", host_ns, "link", "del", host_if});
        if (!del.status.ok() && ifindex_in(host, host_if) != 0) {
            throw RuntimeError("cannot remove the leftover interface " + host_if + " in " +
                               host_ns + ": " + del.err);
        }
    }
    run_ip_batch(netns_name, {"link set lo up",
                              std::string("link add ") + kFunctionIf + " address " + f.mac.str() +
                                  " type veth peer name " + host_if + " netns " + host_ns});
    disable_offloads(ns, kFunctionIf);
    disable_offloads(host, host_if);
    run_ip_batch(host_ns, {"link set " + host_if + " master " + emulation::kHostBridge,
                           "link set " + host_if + " up"});
    // The bridge finds the function by a static entry, never by learning: a frame of this
    // function that hairpins through the switch comes back on eth0 with its MAC as source.
    process::run_checked({"bridge", "-n", host_ns, "fdb", "replace", f.mac.str(), "dev", host_if,
                          "master", "static"});
    // Everything the function sends leaves through the host's uplink, also toward a function
    // on this same host: the chain's segments between them (a P4 function, INT) are in the
    // switch, so the bridge must not short-cut them.
    auto client = bpf::HostClient::open(emulation::node_pin_dir(net, f.node));
    int host_ifindex = ifindex_in(host, host_if);
    host.run([&] { client.attach_function_port(host_ifindex); });
    std::vector<std::string> commands = {std::string("link set ") + kFunctionIf + " up",
                                         "address add " + f.ip.str() + "/24 dev " + kFunctionIf};
    for (const auto& e : d.endpoints) {
        if (e.ip == f.ip)
            continue;
        commands.push_back("neigh replace " + e.ip.str() + " lladdr " + e.mac.str() + " dev " +
                           kFunctionIf + " nud permanent");
    }
    run_ip_batch(netns_name, commands);
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

// Waits until something listens on the function's UDP port inside its netns.
bool wait_serving(const std::string& netns, uint16_t port, std::chrono::milliseconds limit) {
    auto ns = net::NetNs::open(netns);
    auto deadline = std::chrono::steady_clock::now() + limit;
    do {
        if (listens_udp(ns, port))
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    } while (std::chrono::steady_clock::now() < deadline);
    return false;
}

void remove_instance(Backends& backends, const std::string& kind, const std::string& instance,
                     const std::string& netns_path_name) {
    try {
        backends.get(kind).remove(instance);
    } catch (const std::exception& e) {
        spdlog::warn("removing {} ({}): {}", instance, kind, e.what());
    }
    net::NetNs::remove(netns_path_name);
}

}  // namespace

std::string default_functions_dir() {
    if (const char* build = std::getenv("CHIMA_BUILD"); build && *build) {
        return (fs::path(build) / "functions").string();
    }
    // chima-install lives in <build>/bin; CMake puts the contexts in <build>/functions.
    std::error_code ec;
    auto exe = fs::read_symlink("/proc/self/exe", ec);
    if (ec)
        return "functions";
    return (exe.parent_path().parent_path() / "functions").string();
}

std::string resolve_build_context(const PlacedFunction& f, const std::string& functions_dir) {
    const std::string& name = f.spec.name;
    std::vector<fs::path> candidates;
    if (!f.spec.build.empty()) {
        fs::path build(f.spec.build);
        candidates.push_back(build);
        candidates.push_back(fs::path(functions_dir) / build.filename());
    }
    candidates.push_back(fs::path(functions_dir) / name);
    std::string tried;
    for (const auto& c : candidates) {
        // The binary is named after the context directory (CMake's layout), or the function.
        for (const auto& binary : {c.filename().string(), name}) {
            if (is_context(c, binary))
                return c.string();
        }
        tried += (tried.empty() ? "" : ", ") + c.string();
    }
    throw InputError(f.spec.mark,
                     "container function " + name +
                         ": no build context with a Containerfile and its binary (tried " + tried +
                         ")",
                     "build the example functions (target chima_fn_" + name +
                         ") or set CHIMA_BUILD / --functions-dir");
}

std::string instance_name(const std::string& net, const PlacedFunction& f,
                          const std::string& suffix) {
    return "chima-" + net + "-" + f.chain + "-" + f.spec.name + suffix;
}

namespace {

// What the function's instance runs, before it is started.
struct Planned {
    const PlacedFunction* f = nullptr;
    container::Image image;
    std::map<std::string, std::string> env;
    // The image as the previous installed.json recorded it, not looked up again: `build`
    // looks it up (builds it if it went missing) should running it fail.
    bool from_record = false;
    container::ImageSpec build;
};

// What a function's image is built from: its build context, and the name of the binary in it
// (the process backend runs <context>/<name>; the image tag is chima/<name>:<hash>).
container::ImageSpec image_spec_of(const PlacedFunction& f, const std::string& functions_dir) {
    std::string binary_name = f.spec.name;
    std::string ctx = resolve_build_context(f, functions_dir);
    if (!fs::is_regular_file(fs::path(ctx) / binary_name))
        binary_name = fs::path(ctx).filename().string();
    return {binary_name, ctx};
}

Planned plan(const PlacedFunction& f, container::Backend& backend, const std::string& next,
             const std::string& functions_dir, const json* old) {
    Planned p{&f, {}, f.spec.env, false, {}};
    p.env["CHIMA_PORT"] = std::to_string(f.spec.port);
    if (!next.empty())
        p.env["CHIMA_NEXT"] = next;
    if (!f.spec.image.empty() && backend.kind() != "process") {
        p.image.ref = f.spec.image;
        p.image.id = f.spec.image;
    } else {
        p.build = image_spec_of(f, functions_dir);
        // The OCI backends tag an image by its context's hash ("chima/NAME:HASH", as in
        // emit_compose): the same tag as before is the same image, no `podman image inspect`
        // (a process of its own) needed.
        if (old && backend.kind() != "process") {
            std::string ref = container::image_ref(p.build);
            if (old->value("image", "") == ref && !old->value("image_id", "").empty()) {
                p.image.ref = ref;
                p.image.id = old->value("image_id", "");
                p.from_record = true;
                return p;
            }
        }
        p.image = backend.ensure_image(p.build);
    }
    return p;
}

}  // namespace

namespace {

bool same_instance(const json& old, const std::string& kind, const PlacedFunction& f,
                   const Planned& p) {
    return old.value("backend", "") == kind && old.value("node", "") == f.node &&
           old.value("ip", "") == f.ip.str() && old.value("mac", "") == f.mac.str() &&
           old.value("image_id", "") == p.image.id && old["env"] == json(p.env);
}

double ms_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// Starts one function's new instance beside its old one (if any), under the other pair of
// names; returns its installed.json entry. Its image is resolved (`planned`, running on
// another thread) while the netns is plumbed. On a failure nothing of it is left behind.
json start_instance(const Deployment& d, const std::string& net, const PlacedFunction& f,
                    std::shared_future<Planned> planned, const json* old, Backends& backends,
                    const std::string& kind) {
    const auto t0 = std::chrono::steady_clock::now();
    container::Backend& backend = backends.get(kind);
    std::string suffix = old && old->value("netns", "") == f.netns() ? kAlternateSuffix : "";
    std::string netns = f.netns() + suffix;
    std::string netns_full = net::node_netns(net, netns);
    std::string name = instance_name(net, f, suffix);
    // A leftover of a crashed run: its netns goes here; podman's run --replace (and the other
    // backends' run) take care of an instance of the same name.
    if (net::NetNs::exists(netns_full))
        remove_instance(backends, kind, name, netns_full);
    container::Instance inst;
    Planned p;
    try {
        // The container starts as soon as its namespace exists, while the namespace gets its
        // link, address and neighbours: the function binds its UDP port without them, and
        // starting a container is the slow part.
        host_netns_of(net, f);
        create_function_netns(netns_full);
        auto started = std::async(std::launch::async, [&] {
            p = planned.get();
            spdlog::debug("{}: image {} after {:.1f} ms", name, p.image.ref, ms_since(t0));
            container::FunctionSpec spec{
                name,
                p.image.ref,
                f.spec.command,
                p.env,
                {{emulation::kNetLabel, net}, {kChainLabel, f.chain}, {kDeploymentLabel, d.id}},
                netns_full};
            try {
                inst = backend.run(spec);
            } catch (const RuntimeError& e) {
                if (!p.from_record)
                    throw;
                spdlog::info("{}: running the recorded image failed ({}); looking it up", name,
                             e.what());
                p.image = backend.ensure_image(p.build);
                spec.image = p.image.ref;
                inst = backend.run(spec);
            }
            spdlog::debug("{}: {} run returned after {:.1f} ms", name, kind, ms_since(t0));
        });
        std::exception_ptr wiring;
        try {
            plumb_function_netns(d, net, f, netns_full, suffix);
            spdlog::debug("{}: netns plumbed after {:.1f} ms", name, ms_since(t0));
        } catch (...) {
            wiring = std::current_exception();
        }
        started.get();  // the container's own failure first, it names the image
        if (wiring)
            std::rethrow_exception(wiring);
        if (!wait_serving(netns_full, f.spec.port, std::chrono::seconds(5))) {
            throw RuntimeError("function " + f.spec.name + " (" + name +
                               ") does not listen on UDP port " + std::to_string(f.spec.port) +
                               " within 5 s");
        }
        spdlog::debug("{}: serving after {:.1f} ms", name, ms_since(t0));
    } catch (...) {
        remove_instance(backends, kind, name, netns_full);
        throw;
    }
    spdlog::info("started {} on {} ({} {})", name, f.node, kind, inst.id);
    return {{"chain", f.chain},
            {"name", f.spec.name},
            {"type", "container"},
            {"node", f.node},
            {"ip", f.ip.str()},
            {"mac", f.mac.str()},
            {"function_id", f.function_id},
            {"netns", netns},
            {"backend", kind},
            {"instance", name},
            {"id", inst.id},
            {"pid", inst.pid},
            {"image", p.image.ref},
            {"image_id", p.image.id},
            {"env", p.env},
            {"state", std::string(container::to_string(container::State::Running))}};
}

}  // namespace

void start_container_functions(const Deployment& d, const std::string& net,
                               const std::optional<json>& previous, const ContainerOptions& options,
                               ContainerStart& result, ContainerChanges& changes) {
    auto functions = container_functions(d);
    std::map<std::string, json> before;  // "chain/name" -> previous entry
    if (previous && previous->contains("functions")) {
        for (const auto& e : (*previous)["functions"]) {
            if (e.value("type", "") != "container")
                continue;
            before[e.value("chain", "") + "/" + e.value("name", "")] = e;
        }
    }
    if (functions.empty() && before.empty())
        return;

    std::string functions_dir =
        options.functions_dir.empty() ? default_functions_dir() : options.functions_dir;
    std::string kind = options.backend == "auto" ? container::detect_backend() : options.backend;
    auto next = next_addresses(d);

    // One task per function, all at once: each plans its image, keeps a running unchanged
    // instance, or starts a new one. The backends are made here, before the threads share
    // them (each backend's calls are independent child processes or locked).
    Backends backends(options);
    backends.get(kind);
    for (const auto& [key, old] : before)
        backends.get(old.value("backend", kind));
    struct Outcome {
        json entry;
        bool started = false;
    };
    std::vector<std::future<Outcome>> tasks;
    for (const PlacedFunction* f : functions) {
        std::string key = f->chain + "/" + f->spec.name;
        const json* old = before.count(key) ? &before.at(key) : nullptr;
        std::string next_address = next.count(key) ? next.at(key) : "";
        tasks.push_back(std::async(std::launch::async, [&, f, old, next_address] {
            container::Backend& backend = backends.get(kind);
            std::shared_future<Planned> planned =
                std::async(std::launch::async, [&, f, next_address] {
                    return plan(*f, backend, next_address, functions_dir, old);
                }).share();
            // Only an instance on the same node can be kept; a moved one plumbs its netns
            // while its image is looked up.
            if (old && old->value("node", "") == f->node &&
                same_instance(*old, kind, *f, planned.get())) {
                auto inst = backend.inspect(old->value("instance", ""));
                if (inst.state == container::State::Running) {
                    json kept = *old;
                    kept["state"] = std::string(container::to_string(inst.state));
                    return Outcome{kept, false};
                }
            }
            return Outcome{start_instance(d, net, *f, planned, old, backends, kind), true};
        }));
    }
    std::exception_ptr failure;
    std::vector<json> started;
    for (size_t i = 0; i < tasks.size(); ++i) {
        try {
            Outcome o = tasks[i].get();
            if (o.started) {
                started.push_back(o.entry);
                std::string key = functions[i]->chain + "/" + functions[i]->spec.name;
                if (before.count(key))
                    result.retire.push_back(before.at(key));
                ++changes.started;
            } else {
                ++changes.unchanged;
            }
            result.functions.push_back(std::move(o.entry));
        } catch (...) {
            if (!failure)
                failure = std::current_exception();
        }
        before.erase(functions[i]->chain + "/" + functions[i]->spec.name);
    }
    if (failure) {
        // The old instances keep serving; what this call started goes again.
        remove_container_instances(net, started, options);
        result = ContainerStart{};
        std::rethrow_exception(failure);
    }
    result.started = std::move(started);
    for (auto& [key, old] : before)
        result.retire.push_back(old);  // no longer deployed
}

size_t remove_container_instances(const std::string& net, const std::vector<json>& instances,
                                  const ContainerOptions& options) {
    if (instances.empty())
        return 0;
    std::string kind = options.backend == "auto" ? container::detect_backend() : options.backend;
    Backends backends(options);
    for (const auto& old : instances)
        backends.get(old.value("backend", kind));
    std::vector<std::future<void>> tasks;
    for (const auto& old : instances) {
        tasks.push_back(std::async(std::launch::async, [&] {
            spdlog::info("removing {} from {}", old.value("instance", ""), old.value("node", ""));
            remove_instance(backends, old.value("backend", kind), old.value("instance", ""),
                            net::node_netns(net, old.value("netns", "")));
        }));
    }
    for (auto& t : tasks)
        t.get();
    return instances.size();
}

json install_container_functions(const Deployment& d, const std::string& net,
                                 const std::optional<json>& previous,
                                 const ContainerOptions& options, ContainerChanges& changes) {
    ContainerStart start;
    start_container_functions(d, net, previous, options, start, changes);
    changes.removed += remove_container_instances(net, start.retire, options);
    return start.functions;
}

size_t remove_container_functions(const Deployment& d, const std::string& net,
                                  const std::optional<json>& previous,
                                  const ContainerOptions& options) {
    Backends backends(options);
    std::string kind = options.backend == "auto" ? container::detect_backend() : options.backend;
    size_t removed = 0;
    auto take_down = [&](const std::string& k, const std::string& instance,
                         const std::string& netns) {
        bool had = backends.get(k).inspect(instance).state != container::State::Missing;
        remove_instance(backends, k, instance, net::node_netns(net, netns));
        removed += had ? 1 : 0;
    };
    if (previous && previous->contains("functions")) {
        for (const auto& e : (*previous)["functions"]) {
            if (e.value("type", "") != "container")
                continue;
            take_down(e.value("backend", kind), e.value("instance", ""), e.value("netns", ""));
        }
    }
    for (const PlacedFunction* f : container_functions(d)) {
        for (std::string suffix : {"", kAlternateSuffix}) {
            take_down(kind, instance_name(net, *f, suffix), f->netns() + suffix);
        }
    }
    return removed;
}

std::vector<std::string> emit_compose(const Deployment& d, const std::string& net,
                                      const std::string& dir, const ContainerOptions& options) {
    std::string functions_dir =
        options.functions_dir.empty() ? default_functions_dir() : options.functions_dir;
    auto next = next_addresses(d);
    std::map<std::string, std::vector<container::FunctionSpec>> by_host;
    for (const PlacedFunction* f : container_functions(d)) {
        std::string key = f->chain + "/" + f->spec.name;
        std::map<std::string, std::string> env = f->spec.env;
        env["CHIMA_PORT"] = std::to_string(f->spec.port);
        if (next.count(key))
            env["CHIMA_NEXT"] = next[key];
        std::string image = f->spec.image;
        if (image.empty()) {
            // The tag the podman backend builds (chima-install builds it when missing).
            image = container::image_ref(image_spec_of(*f, functions_dir));
        }
        by_host[f->node].push_back(
            {instance_name(net, *f),
             image,
             f->spec.command,
             env,
             {{emulation::kNetLabel, net}, {kChainLabel, f->chain}, {kDeploymentLabel, d.id}},
             net::node_netns(net, f->netns())});
    }
    return container::write_compose_files(dir, by_host);
}

}  // namespace chima::deploy
