// The lab of the device tests: the minimal example installed and routed on devices in
// memory (device::memory_devices), state files in a directory of its own, and what serves
// on the devices, for a test to compare before and after.
#pragma once

#include <doctest/doctest.h>

#include <stdlib.h>

#include <filesystem>
#include <set>

#include "chima/compose/compose.hpp"
#include "chima/deploy/artifacts.hpp"
#include "chima/deploy/containers.hpp"
#include "chima/deploy/install.hpp"
#include "chima/deploy/routing.hpp"
#include "chima/device/memory_devices.hpp"
#include "chima/error.hpp"
#include "chima/model/installed.hpp"
#include "chima/model/routes.hpp"
#include "chima/relocate/apply.hpp"
#include "chima/relocate/relocation.hpp"
#include "chima/state_file.hpp"

using namespace chima;
using nlohmann::json;
namespace fs = std::filesystem;

namespace device_lab {

inline constexpr const char* kNet = "lab";

inline std::string ex(const std::string& scenario, const std::string& file) {
    std::string root = std::getenv("CHIMA_ROOT") ? std::getenv("CHIMA_ROOT") : CHIMA_DEFAULT_ROOT;
    return root + "/examples/" + scenario + "/" + file;
}

// The minimal example; its container functions name prebuilt images, so nothing is built.
inline Deployment minimal() {
    ComposeInput in;
    in.topology = load_topology(ex("minimal", "topology.yaml"));
    in.service = load_service(ex("minimal", "service.yaml"));
    in.placement = load_placement(ex("minimal", "placement.yaml"));
    Deployment d = compose(in);
    for (auto& f : d.functions)
        if (f.spec.type == FunctionType::Container)
            f.spec.image = "test/" + f.spec.name;
    return d;
}

// The relocation chima-relocate plans for a violation line.
inline Deployment relocated(const Deployment& d, const json& worst, const std::string& section) {
    json violation = {{"type", "violation"}, {"chain", "minimal"},     {"section", section},
                      {"metric", "latency"}, {"measured", 21'000'000}, {"limit", 5'000'000},
                      {"worst", worst}};
    auto degradation = relocate::degradation_of(d, violation, {});
    REQUIRE(degradation.has_value());
    return relocate::plan_relocation(d.topology, d, *degradation, {});
}

// s0-s1 degraded: every function moves and every flow gets a new stack.
inline Deployment off_the_odd_rail(const Deployment& d) {
    return relocated(
        d, {{"type", "link"}, {"key", "s0-s1"}, {"a", "s0"}, {"b", "s1"}, {"value_ns", 21'000'000}},
        "x");
}

// echo is slow on its host: echo moves, the rest stays.
inline Deployment echo_moved(const Deployment& d) {
    return relocated(d, {{"type", "function"}, {"function", "echo"}, {"value_ns", 50'000'000}},
                     "end-to-end");
}

class TempDir {
  public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "chima-device-test-XXXXXX").string();
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }

  private:
    fs::path path_;
};

// A network in memory with deployment `d` installed and routed the way chima-install and
// chima-route do it, and state files in a directory of its own; the journal starts empty.
struct Lab {
    TempDir dir;
    device::DeviceJournal journal;
    std::unique_ptr<device::DeviceRegistry> devices = device::memory_devices(journal);
    deploy::ContainerOptions options{"podman", ""};
    deploy::Artifacts artifacts;
    relocate::ApplyFiles files;

    explicit Lab(const Deployment& d) {
        // The run-time records (a relocation's intent, the network lock) in the lab too.
        ::setenv("CHIMA_RUN_DIR", (dir.path() / "run").c_str(), 1);
        // Objects the switches in memory never read; artifacts.json wants regular files with
        // an ELF header for BPF (64-bit, little endian, e_machine 247).
        std::string elf_bpf(
            "\x7f"
            "ELF\x02\x01\x01",
            7);
        elf_bpf.resize(18, '\0');
        elf_bpf += std::string("\xf7\x00", 2);
        elf_bpf.resize(64, '\0');
        for (const auto& f : d.functions) {
            if (f.spec.type == FunctionType::P4) {
                std::string object = (dir.path() / (f.spec.name + ".bpf.o")).string();
                write_file_atomic(object, elf_bpf);
                artifacts.functions[f.chain + "/" + f.spec.name] = {
                    f.chain, f.spec.name, object, "", "", "hash-" + f.spec.name};
            }
        }
        files.net = kNet;
        files.artifacts = (dir.path() / "artifacts.json").string();
        files.installed = (dir.path() / "installed.json").string();
        files.routes = (dir.path() / "routes.json").string();
        files.backend = options.backend;
        write_file_atomic(files.artifacts, deploy::to_json(artifacts).dump(2));
        install(d);
        journal.clear();
    }

    void install(const Deployment& d) {
        std::optional<Installed> before;
        if (fs::exists(files.installed))
            before = load_installed(files.installed);
        deploy::ContainerChanges container_changes;
        deploy::SlotChanges slot_changes;
        Installed doc;
        doc.deployment = d.id;
        doc.net = kNet;
        doc.functions = deploy::install_container_functions(d, kNet, *devices, before, options,
                                                            container_changes);
        for (auto& f : deploy::install_p4_functions(d, artifacts, *devices, before, slot_changes))
            doc.functions.push_back(f);
        write_file_atomic(files.installed, to_json(doc).dump(2));
        std::optional<Routes> routes;
        if (fs::exists(files.routes))
            routes = load_routes(files.routes);
        write_file_atomic(files.routes,
                          to_json(deploy::apply_routes(d, kNet, *devices, routes)).dump(2));
    }

    ~Lab() { ::unsetenv("CHIMA_RUN_DIR"); }
    Lab(const Lab&) = delete;
    Lab& operator=(const Lab&) = delete;

    device::MemorySwitch& switch_of(const std::string& node) {
        return dynamic_cast<device::MemorySwitch&>(devices->switch_device(node));
    }
    device::MemoryHost& host_of(const std::string& node) {
        return dynamic_cast<device::MemoryHost&>(devices->host_device(node));
    }
};

// What serves on the devices: slots, INT watches, instances, function namespaces and the
// label stacks of the flows of `deployments`.
struct Serving {
    std::map<std::string, std::map<uint32_t, std::string>> slots;
    std::map<std::string, std::set<std::pair<uint32_t, uint32_t>>> watched;
    std::map<std::string, std::set<std::string>> running, netns;
    std::map<std::string, std::optional<LabelStack>> stacks;
    bool operator==(const Serving&) const = default;
};

inline Serving serving(Lab& lab, const std::vector<const Deployment*>& deployments) {
    Serving s;
    const Topology& topo = deployments.front()->topology;
    for (const auto& sw : topo.switches) {
        s.slots[sw.name] = lab.switch_of(sw.name).slots();
        s.watched[sw.name] = lab.switch_of(sw.name).watched();
    }
    for (const auto& h : topo.hosts) {
        s.running[h.name] = lab.host_of(h.name).running();
        s.netns[h.name] = lab.host_of(h.name).function_netns();
    }
    for (const Deployment* d : deployments) {
        for (const auto& f : d->flows) {
            s.stacks[f.pusher + " " + f.src_ip.str() + ">" + f.dst_ip.str()] =
                lab.host_of(f.pusher).flow(f.src_ip, f.dst_ip);
        }
    }
    return s;
}

// The word after the node: "s0 load 3 ..." -> "load".
inline std::string operation(const std::string& entry) {
    auto a = entry.find(' ');
    auto b = entry.find(' ', a + 1);
    return entry.substr(a + 1, b - a - 1);
}

// The entry without its operation: "h1 start chima-x" -> "h1 chima-x".
inline std::string target(const std::string& entry) {
    auto a = entry.find(' ');
    auto b = entry.find(' ', a + 1);
    return entry.substr(0, a) + entry.substr(b);
}

inline std::string text(const std::string& path) {
    return read_file(path);
}

}  // namespace device_lab

using namespace device_lab;
