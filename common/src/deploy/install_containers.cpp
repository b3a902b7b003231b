#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <thread>

#include <spdlog/spdlog.h>

#include "chima/container/compose_file.hpp"
#include "chima/deploy/containers.hpp"
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

// Same as emulated_network.cpp: the pipeline moves L4 headers when it pops labels, so a
// checksum the kernel would fill in later would land at the wrong offset.
void disable_offloads(const std::string& netns, const std::string& ifname) {
    process::run_checked({"ip", "netns", "exec", netns, "ethtool", "-K", ifname, "tx", "off", "tso",
                          "off", "gso", "off", "gro", "off"});
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

// Backends by kind, made once each.
class Backends {
  public:
    container::Backend& get(const std::string& kind) {
        auto& b = backends_[kind];
        if (!b)
            b = container::make_backend(kind);
        return *b;
    }

  private:
    std::map<std::string, std::unique_ptr<container::Backend>> backends_;
};

// The function's netns on its host's bridge (see containers.hpp).
void plumb_function_netns(const Deployment& d, const std::string& net, const PlacedFunction& f,
                          const std::string& netns_name) {
    std::string host_ns = net::node_netns(net, f.node);
    if (!net::NetNs::exists(host_ns)) {
        throw RuntimeError("host " + f.node + " of function " + f.spec.name + " has no namespace " +
                           host_ns + " (is the network up?)");
    }
    auto ns = net::NetNs::create(netns_name);  // owned until fully plumbed
    net::prepare_namespace(ns, false);
    std::string host_if = "f" + std::to_string(f.function_id);
    if (net::link_exists(host_ns, host_if)) {
        // A leftover of an instance whose netns is gone but not yet its last user.
        process::run_checked({"ip", "-n", host_ns, "link", "del", host_if});
    }
    net::create_veth({netns_name, kFunctionIf, f.mac.str(), host_ns, host_if, ""});
    process::run_checked(
        {"ip", "-n", host_ns, "link", "set", host_if, "master", emulation::kHostBridge});
    // The bridge finds the function by a static entry, never by learning: a frame of this
    // function that hairpins through the switch comes back on eth0 with its MAC as source.
    process::run_checked({"bridge", "-n", host_ns, "fdb", "replace", f.mac.str(), "dev", host_if,
                          "master", "static"});
    disable_offloads(netns_name, kFunctionIf);
    disable_offloads(host_ns, host_if);
    net::set_link_up(host_ns, host_if, true);
    net::set_link_up(netns_name, kFunctionIf, true);
    net::add_address(netns_name, kFunctionIf, f.ip.str() + "/24");
    for (const auto& e : d.endpoints) {
        if (e.ip == f.ip)
            continue;
        net::add_neighbour(netns_name, kFunctionIf, e.ip.str(), e.mac.str());
    }
    ns.release();
}

// Waits until something listens on the function's UDP port inside its netns.
bool wait_serving(const std::string& netns, uint16_t port, std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    do {
        auto r = process::run({"ip", "netns", "exec", netns, "ss", "-Hlun", "sport", "=",
                               ":" + std::to_string(port)});
        if (r.status.ok() && !r.out.empty())
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
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
    const PlacedFunction* f;
    container::Image image;
    std::map<std::string, std::string> env;
};

Planned plan(const PlacedFunction& f, container::Backend& backend, const std::string& next,
             const std::string& functions_dir) {
    Planned p{&f, {}, f.spec.env};
    p.env["CHIMA_PORT"] = std::to_string(f.spec.port);
    if (!next.empty())
        p.env["CHIMA_NEXT"] = next;
    if (!f.spec.image.empty() && backend.kind() != "process") {
        p.image.ref = f.spec.image;
        p.image.id = f.spec.image;
    } else {
        std::string binary_name = f.spec.name;
        std::string ctx = resolve_build_context(f, functions_dir);
        // The process backend runs <context>/<ImageSpec::name>: use the binary's own name.
        if (!fs::is_regular_file(fs::path(ctx) / binary_name)) {
            binary_name = fs::path(ctx).filename().string();
        }
        p.image = backend.ensure_image({binary_name, ctx});
    }
    return p;
}

}  // namespace

json install_container_functions(const Deployment& d, const std::string& net,
                                 const std::optional<json>& previous,
                                 const ContainerOptions& options, ContainerChanges& changes) {
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
        return json::array();

    std::string functions_dir =
        options.functions_dir.empty() ? default_functions_dir() : options.functions_dir;
    Backends backends;
    std::string kind = options.backend == "auto" ? container::detect_backend() : options.backend;
    container::Backend& backend = backends.get(kind);
    auto next = next_addresses(d);

    json out = json::array();
    std::vector<json> retire;  // previous instances to take down after the new ones serve
    for (const PlacedFunction* f : functions) {
        std::string key = f->chain + "/" + f->spec.name;
        Planned p = plan(*f, backend, next.count(key) ? next[key] : "", functions_dir);
        const json* old = before.count(key) ? &before[key] : nullptr;
        if (old && old->value("backend", "") == kind && old->value("node", "") == f->node &&
            old->value("ip", "") == f->ip.str() && old->value("mac", "") == f->mac.str() &&
            old->value("image_id", "") == p.image.id && (*old)["env"] == json(p.env)) {
            auto inst = backend.inspect(old->value("instance", ""));
            if (inst.state == container::State::Running) {
                json kept = *old;
                kept["state"] = std::string(container::to_string(inst.state));
                out.push_back(kept);
                before.erase(key);
                ++changes.unchanged;
                continue;
            }
        }
        // A new instance, beside the old one (if any) under the other pair of names.
        std::string suffix = old && old->value("netns", "") == f->netns() ? kAlternateSuffix : "";
        std::string netns = f->netns() + suffix;
        std::string netns_full = net::node_netns(net, netns);
        std::string name = instance_name(net, *f, suffix);
        remove_instance(backends, kind, name, netns_full);  // a leftover of a crashed run
        plumb_function_netns(d, net, *f, netns_full);
        container::FunctionSpec spec{
            name,
            p.image.ref,
            f->spec.command,
            p.env,
            {{emulation::kNetLabel, net}, {kChainLabel, f->chain}, {kDeploymentLabel, d.id}},
            netns_full};
        container::Instance inst;
        try {
            inst = backend.run(spec);
            if (!wait_serving(netns_full, f->spec.port, std::chrono::seconds(5))) {
                throw RuntimeError("function " + f->spec.name + " (" + name +
                                   ") does not listen on UDP port " + std::to_string(f->spec.port) +
                                   " within 5 s");
            }
            inst = backend.inspect(name);
        } catch (...) {
            remove_instance(backends, kind, name, netns_full);
            throw;
        }
        spdlog::info("started {} on {} ({} {})", name, f->node, kind, inst.id);
        ++changes.started;
        out.push_back({{"chain", f->chain},
                       {"name", f->spec.name},
                       {"type", "container"},
                       {"node", f->node},
                       {"ip", f->ip.str()},
                       {"mac", f->mac.str()},
                       {"function_id", f->function_id},
                       {"netns", netns},
                       {"backend", kind},
                       {"instance", name},
                       {"id", inst.id},
                       {"pid", inst.pid},
                       {"image", p.image.ref},
                       {"image_id", p.image.id},
                       {"env", p.env},
                       {"state", std::string(container::to_string(inst.state))}});
        if (old) {
            retire.push_back(*old);
            before.erase(key);
        }
    }
    for (auto& [key, old] : before)
        retire.push_back(old);  // no longer deployed
    for (const auto& old : retire) {
        spdlog::info("removing {} from {}", old.value("instance", ""), old.value("node", ""));
        remove_instance(backends, old.value("backend", kind), old.value("instance", ""),
                        net::node_netns(net, old.value("netns", "")));
        ++changes.removed;
    }
    return out;
}

size_t remove_container_functions(const Deployment& d, const std::string& net,
                                  const std::optional<json>& previous,
                                  const ContainerOptions& options) {
    Backends backends;
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
            std::string ctx = resolve_build_context(*f, functions_dir);
            image = "chima/" + f->spec.name + ":" + container::hash_build_context(ctx);
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
