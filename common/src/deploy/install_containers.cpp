#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <map>

#include <spdlog/spdlog.h>

#include "chima/container/compose_file.hpp"
#include "chima/deploy/containers.hpp"
#include "chima/error.hpp"
#include "chima/net/names.hpp"

namespace chima::deploy {

namespace fs = std::filesystem;

namespace {

constexpr const char* kAlternateSuffix = "-b";
constexpr const char* kChainLabel = "chima.chain";
constexpr const char* kDeploymentLabel = "chima.deployment";

bool is_context(const fs::path& dir, const std::string& binary) {
    return fs::is_regular_file(dir / "Containerfile") && fs::is_regular_file(dir / binary);
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

// The names a new instance of `f` takes: the pair its old instance (if any) does not use.
std::string new_instance_suffix(const PlacedFunction& f, const InstalledFunction* old) {
    return old && old->container.netns == f.netns() ? kAlternateSuffix : "";
}

// Takes an instance down: its container (or process), then its namespace.
void remove_instance(device::HostDevice& host, const std::string& kind, const std::string& instance,
                     const std::string& netns) {
    try {
        host.stop_function(kind, instance);
    } catch (const std::exception& e) {
        spdlog::warn("removing {} ({}): {}", instance, kind, e.what());
    }
    host.remove_function_netns(netns);
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

void check_container_inputs(const Deployment& d, const std::string& net,
                            const std::optional<Installed>& previous,
                            const std::string& previous_file, const ContainerOptions& options,
                            bool starting) {
    if (previous) {
        // A stale installed.json: what it records is taken down by the names it gives, on
        // the hosts it names, in the network it names.
        if (previous->net != net) {
            throw InputError(SourceMark{previous_file}, "at /net: it describes network '" +
                                                            previous->net + "', this run drives '" +
                                                            net + "'");
        }
        for (size_t i = 0; i < previous->functions.size(); ++i) {
            const InstalledFunction& e = previous->functions[i];
            if (e.type == FunctionType::Container && !d.topology.find_host(e.node)) {
                throw InputError(SourceMark{previous_file},
                                 "at /functions/" + std::to_string(i) + "/node: '" + e.node +
                                     "' is not a host of the deployment's topology");
            }
        }
    }
    if (!starting)
        return;
    std::string functions_dir =
        options.functions_dir.empty() ? default_functions_dir() : options.functions_dir;
    for (const PlacedFunction* f : container_functions(d)) {
        if (f->spec.image.empty() || options.backend == "process")
            resolve_build_context(*f, functions_dir);
    }
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

Planned plan(const PlacedFunction& f, device::HostDevice& host, const std::string& kind,
             const std::string& next, const std::string& functions_dir,
             const InstalledFunction* old) {
    Planned p{&f, {}, f.spec.env, false, {}};
    p.env["CHIMA_PORT"] = std::to_string(f.spec.port);
    if (!next.empty())
        p.env["CHIMA_NEXT"] = next;
    if (!f.spec.image.empty() && kind != "process") {
        p.image.ref = f.spec.image;
        p.image.id = f.spec.image;
    } else {
        p.build = image_spec_of(f, functions_dir);
        // The OCI backends tag an image by its context's hash ("chima/NAME:HASH", as in
        // emit_compose): the same tag as before is the same image, no `podman image inspect`
        // (a process of its own) needed.
        if (old && kind != "process") {
            std::string ref = container::image_ref(p.build);
            if (old->container.image == ref && !old->container.image_id.empty()) {
                p.image.ref = ref;
                p.image.id = old->container.image_id;
                p.from_record = true;
                return p;
            }
        }
        p.image = host.ensure_image(kind, p.build);
    }
    return p;
}

}  // namespace

namespace {

bool same_instance(const InstalledFunction& old, const std::string& kind, const PlacedFunction& f,
                   const Planned& p) {
    const InstalledContainer& c = old.container;
    return c.backend == kind && old.node == f.node && c.ip == f.ip && c.mac == f.mac &&
           c.image_id == p.image.id && c.env == p.env && c.capabilities == f.spec.capabilities;
}

// The function's port on its host (see containers.hpp): its addresses, and permanent
// neighbour entries for every other endpoint and function address of the deployment.
device::FunctionPort function_port(const Deployment& d, const PlacedFunction& f,
                                   const std::string& netns, bool alternate) {
    device::FunctionPort port{netns, f.function_id, alternate, f.mac, f.ip, {}};
    for (const auto& e : d.endpoints) {
        if (e.ip != f.ip)
            port.neighbours.push_back({e.ip, e.mac});
    }
    return port;
}

double ms_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// Starts one function's new instance beside its old one (if any), under the other pair of
// names; returns its installed.json entry. Its image is resolved (`planned`, running on
// another thread) while the netns is plumbed. On a failure nothing of it is left behind.
InstalledFunction start_instance(const Deployment& d, const std::string& net,
                                 const PlacedFunction& f, std::shared_future<Planned> planned,
                                 const InstalledFunction* old, device::HostDevice& host,
                                 const std::string& kind) {
    const auto t0 = std::chrono::steady_clock::now();
    std::string suffix = new_instance_suffix(f, old);
    std::string netns = f.netns() + suffix;
    std::string name = instance_name(net, f, suffix);
    // A leftover of a crashed run: its netns goes here; podman's run --replace (and the other
    // backends' run) take care of an instance of the same name.
    if (host.has_function_netns(netns))
        remove_instance(host, kind, name, netns);
    container::Instance inst;
    Planned p;
    try {
        // The container starts as soon as its namespace exists, while the namespace gets its
        // link, address and neighbours: the function binds its UDP port without them, and
        // starting a container is the slow part.
        host.create_function_netns(netns);
        auto started = std::async(std::launch::async, [&] {
            p = planned.get();
            spdlog::debug("{}: image {} after {:.1f} ms", name, p.image.ref, ms_since(t0));
            container::FunctionSpec spec{
                name,
                p.image.ref,
                f.spec.command,
                p.env,
                {{net::kNetLabel, net}, {kChainLabel, f.chain}, {kDeploymentLabel, d.id}},
                netns,
                f.spec.capabilities};
            try {
                inst = host.start_function(kind, spec);
            } catch (const RuntimeError& e) {
                if (!p.from_record)
                    throw;
                spdlog::info("{}: running the recorded image failed ({}); looking it up", name,
                             e.what());
                p.image = host.ensure_image(kind, p.build);
                spec.image = p.image.ref;
                inst = host.start_function(kind, spec);
            }
            spdlog::debug("{}: {} run returned after {:.1f} ms", name, kind, ms_since(t0));
        });
        std::exception_ptr wiring;
        try {
            host.plumb_function_port(function_port(d, f, netns, !suffix.empty()));
            spdlog::debug("{}: netns plumbed after {:.1f} ms", name, ms_since(t0));
        } catch (...) {
            wiring = std::current_exception();
        }
        started.get();  // the container's own failure first, it names the image
        if (wiring)
            std::rethrow_exception(wiring);
        if (!host.wait_serving(netns, f.spec.port, std::chrono::seconds(5))) {
            throw RuntimeError("function " + f.spec.name + " (" + name +
                               ") does not listen on UDP port " + std::to_string(f.spec.port) +
                               " within 5 s");
        }
        spdlog::debug("{}: serving after {:.1f} ms", name, ms_since(t0));
    } catch (...) {
        remove_instance(host, kind, name, netns);
        throw;
    }
    spdlog::info("started {} on {} ({} {})", name, f.node, kind, inst.id);
    InstalledFunction entry;
    entry.chain = f.chain;
    entry.name = f.spec.name;
    entry.type = FunctionType::Container;
    entry.node = f.node;
    entry.state = container::to_string(container::State::Running);
    InstalledContainer& c = entry.container;
    c.ip = f.ip;
    c.mac = f.mac;
    c.function_id = f.function_id;
    c.netns = netns;
    c.backend = kind;
    c.instance = name;
    c.id = inst.id;
    c.pid = inst.pid;
    c.image = p.image.ref;
    c.image_id = p.image.id;
    c.env = p.env;
    c.capabilities = f.spec.capabilities;
    return entry;
}

}  // namespace

void start_container_functions(const Deployment& d, const std::string& net,
                               device::DeviceRegistry& devices,
                               const std::optional<Installed>& previous,
                               const ContainerOptions& options, ContainerStart& result,
                               ContainerChanges& changes) {
    auto functions = container_functions(d);
    std::map<std::string, InstalledFunction> before;  // "chain/name" -> previous entry
    if (previous) {
        for (const InstalledFunction* e : previous->of_type(FunctionType::Container))
            before[e->key()] = *e;
    }
    if (functions.empty() && before.empty())
        return;

    std::string functions_dir =
        options.functions_dir.empty() ? default_functions_dir() : options.functions_dir;
    std::string kind = options.backend == "auto" ? container::detect_backend() : options.backend;
    auto next = next_addresses(d);

    // One task per function, all at once: each plans its image, keeps a running unchanged
    // instance, or starts a new one. The hosts are opened here, before the threads share
    // them (each backend's calls are independent child processes or locked).
    std::vector<device::HostDevice*> hosts;
    for (const PlacedFunction* f : functions)
        hosts.push_back(&devices.host_device(f->node));
    // Every backend this run starts or retires through must work before anything starts:
    // one that fails later would leave old instances running that no file records.
    for (device::HostDevice* host : hosts)
        host->prepare_backend(kind);
    for (const auto& [key, old] : before)
        devices.host_device(old.node).prepare_backend(old.container.backend);
    struct Outcome {
        InstalledFunction entry;
        bool started = false;
    };
    std::vector<std::future<Outcome>> tasks;
    for (size_t i = 0; i < functions.size(); ++i) {
        const PlacedFunction* f = functions[i];
        device::HostDevice* host = hosts[i];
        std::string key = f->chain + "/" + f->spec.name;
        const InstalledFunction* old = before.count(key) ? &before.at(key) : nullptr;
        std::string next_address = next.count(key) ? next.at(key) : "";
        tasks.push_back(std::async(std::launch::async, [&, f, host, old, next_address] {
            std::shared_future<Planned> planned =
                std::async(std::launch::async, [&, f, host, next_address] {
                    return plan(*f, *host, kind, next_address, functions_dir, old);
                }).share();
            // Only an instance on the same node can be kept; a moved one plumbs its netns
            // while its image is looked up.
            if (old && old->node == f->node && same_instance(*old, kind, *f, planned.get())) {
                auto inst = host->inspect_function(kind, old->container.instance);
                if (inst.state == container::State::Running) {
                    InstalledFunction kept = *old;
                    kept.state = container::to_string(inst.state);
                    return Outcome{kept, false};
                }
            }
            return Outcome{start_instance(d, net, *f, planned, old, *host, kind), true};
        }));
    }
    std::exception_ptr failure;
    std::vector<InstalledFunction> started;
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
        remove_container_instances(devices, started);
        result = ContainerStart{};
        std::rethrow_exception(failure);
    }
    result.started = std::move(started);
    for (auto& [key, old] : before)
        result.retire.push_back(old);  // no longer deployed
}

std::vector<InstalledFunction> planned_instances(const Deployment& d, const std::string& net,
                                                 const std::optional<Installed>& previous,
                                                 const std::string& backend) {
    std::string kind = backend == "auto" ? container::detect_backend() : backend;
    std::vector<InstalledFunction> out;
    for (const PlacedFunction* f : container_functions(d)) {
        const InstalledFunction* old = previous ? previous->find(f->chain, f->spec.name) : nullptr;
        if (old && old->type != FunctionType::Container)
            old = nullptr;
        std::string suffix = new_instance_suffix(*f, old);
        InstalledFunction entry;
        entry.chain = f->chain;
        entry.name = f->spec.name;
        entry.type = FunctionType::Container;
        entry.node = f->node;
        entry.state = "planned";
        entry.container.ip = f->ip;
        entry.container.mac = f->mac;
        entry.container.function_id = f->function_id;
        entry.container.netns = f->netns() + suffix;
        entry.container.backend = kind;
        entry.container.instance = instance_name(net, *f, suffix);
        out.push_back(std::move(entry));
    }
    return out;
}

size_t remove_container_instances(device::DeviceRegistry& devices,
                                  const std::vector<InstalledFunction>& instances) {
    if (instances.empty())
        return 0;
    std::vector<std::future<void>> tasks;
    for (const auto& old : instances) {
        auto& host = devices.host_device(old.node);
        tasks.push_back(std::async(std::launch::async, [&] {
            const InstalledContainer& c = old.container;
            announce_retiring(c.instance, c.id);
            spdlog::info("removing {} from {}", c.instance, old.node);
            remove_instance(host, c.backend, c.instance, c.netns);
        }));
    }
    for (auto& t : tasks)
        t.get();
    return instances.size();
}

std::vector<InstalledFunction> install_container_functions(const Deployment& d,
                                                           const std::string& net,
                                                           device::DeviceRegistry& devices,
                                                           const std::optional<Installed>& previous,
                                                           const ContainerOptions& options,
                                                           ContainerChanges& changes) {
    ContainerStart start;
    start_container_functions(d, net, devices, previous, options, start, changes);
    changes.removed += remove_container_instances(devices, start.retire);
    return start.functions;
}

size_t remove_container_functions(const Deployment& d, const std::string& net,
                                  device::DeviceRegistry& devices,
                                  const std::optional<Installed>& previous,
                                  const ContainerOptions& options) {
    std::string kind = options.backend == "auto" ? container::detect_backend() : options.backend;
    size_t removed = 0;
    auto take_down = [&](const std::string& node, const std::string& k, const std::string& instance,
                         const std::string& netns) {
        auto& host = devices.host_device(node);
        bool had = host.inspect_function(k, instance).state != container::State::Missing;
        remove_instance(host, k, instance, netns);
        removed += had ? 1 : 0;
    };
    if (previous) {
        for (const InstalledFunction* e : previous->of_type(FunctionType::Container))
            take_down(e->node, e->container.backend, e->container.instance, e->container.netns);
    }
    for (const PlacedFunction* f : container_functions(d)) {
        for (std::string suffix : {"", kAlternateSuffix}) {
            take_down(f->node, kind, instance_name(net, *f, suffix), f->netns() + suffix);
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
             {{net::kNetLabel, net}, {kChainLabel, f->chain}, {kDeploymentLabel, d.id}},
             net::node_netns(net, f->netns()),
             f->spec.capabilities});
    }
    return container::write_compose_files(dir, by_host);
}

}  // namespace chima::deploy
