// Relocation, install and routing against devices in memory (device::memory_devices): the
// order of make before break, what a failed relocation undoes, and that only what changes is
// touched. No root: the journal of device operations is what is checked.
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

namespace {

constexpr const char* kNet = "lab";

std::string ex(const std::string& scenario, const std::string& file) {
    std::string root = std::getenv("CHIMA_ROOT") ? std::getenv("CHIMA_ROOT") : CHIMA_DEFAULT_ROOT;
    return root + "/examples/" + scenario + "/" + file;
}

// The minimal example; its container functions name prebuilt images, so nothing is built.
Deployment minimal() {
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
Deployment relocated(const Deployment& d, const json& worst, const std::string& section) {
    json violation = {{"type", "violation"}, {"chain", "minimal"},     {"section", section},
                      {"metric", "latency"}, {"measured", 21'000'000}, {"limit", 5'000'000},
                      {"worst", worst}};
    auto degradation = relocate::degradation_of(d, violation, {});
    REQUIRE(degradation.has_value());
    return relocate::plan_relocation(d.topology, d, *degradation, {});
}

// s0-s1 degraded: every function moves and every flow gets a new stack.
Deployment off_the_odd_rail(const Deployment& d) {
    return relocated(
        d, {{"type", "link"}, {"key", "s0-s1"}, {"a", "s0"}, {"b", "s1"}, {"value_ns", 21'000'000}},
        "x");
}

// echo is slow on its host: echo moves, the rest stays.
Deployment echo_moved(const Deployment& d) {
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

Serving serving(Lab& lab, const std::vector<const Deployment*>& deployments) {
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
std::string operation(const std::string& entry) {
    auto a = entry.find(' ');
    auto b = entry.find(' ', a + 1);
    return entry.substr(a + 1, b - a - 1);
}

// The entry without its operation: "h1 start chima-x" -> "h1 chima-x".
std::string target(const std::string& entry) {
    auto a = entry.find(' ');
    auto b = entry.find(' ', a + 1);
    return entry.substr(0, a) + entry.substr(b);
}

std::string text(const std::string& path) {
    return read_file(path);
}

}  // namespace

TEST_CASE(
    "device relocation: new slots and containers serve before the stacks switch, "
    "the old ones go after") {
    Deployment d = minimal();
    Deployment next = off_the_odd_rail(d);
    Lab lab(d);
    Installed before = load_installed(lab.files.installed);

    relocate::apply_relocation(d, next, lab.files, *lab.devices);

    const auto& j = lab.journal;
    long first_switch = j.index_of("* set_flow"), last_switch = j.last_index_of("* set_flow");
    REQUIRE(first_switch >= 0);
    // Make: each kind of preparation happened, all of it before the first stack changed.
    for (std::string op : {"load", "netns", "start", "port", "prefix_route", "neighbours"}) {
        CAPTURE(op);
        CHECK(j.index_of("* " + op) >= 0);
        CHECK(j.last_index_of("* " + op) < first_switch);
    }
    // Break: the old instances and slots, all of them after the last stack changed.
    for (std::string op : {"stop", "remove_netns", "clear"}) {
        CAPTURE(op);
        CHECK(j.index_of("* " + op) > last_switch);
    }
    // Exactly the old ones go: the instances and slots the previous installed.json recorded.
    std::set<std::string> old_instances, stopped, old_slots, cleared;
    for (const auto& f : before.functions) {
        if (f.type == FunctionType::Container)
            old_instances.insert(f.node + " " + f.container.instance);
        else
            old_slots.insert(f.node + " " + std::to_string(f.p4.slot));
    }
    for (const auto& e : j.matching("* stop "))
        stopped.insert(target(e));
    for (const auto& e : j.matching("* clear "))
        cleared.insert(target(e));
    CHECK(stopped == old_instances);
    CHECK(cleared == old_slots);
    // The new deployment is what serves afterwards.
    for (const auto& f : next.functions) {
        CAPTURE(f.spec.name);
        if (f.spec.type == FunctionType::P4)
            CHECK(lab.switch_of(f.node).slots().count(f.slot) == 1);
        else
            CHECK(lab.host_of(f.node).running().count(deploy::instance_name(kNet, f, "-b")) == 1);
    }
    for (const auto& f : next.flows)
        CHECK(lab.host_of(f.pusher).flow(f.src_ip, f.dst_ip) == f.stack);
}

TEST_CASE("device relocation: a failure at any step undoes what was started, nothing else") {
    Deployment d = minimal();
    Deployment next = off_the_odd_rail(d);
    const auto& last = next.flows.back();
    std::string last_stack =
        last.pusher + " set_flow " + last.src_ip.str() + ">" + last.dst_ip.str();
    // Each step of the relocation, in the order they run; the last: a stack switch half done.
    for (std::string failing :
         std::vector<std::string>{"* load", "* netns", "* start", "* port", "* prefix_route",
                                  "* neighbours", "* set_flow", last_stack}) {
        CAPTURE(failing);
        Lab lab(d);
        Serving before = serving(lab, {&d, &next});
        std::string installed = text(lab.files.installed), routes = text(lab.files.routes);

        lab.journal.fail_next(failing);
        CHECK_THROWS_AS(relocate::apply_relocation(d, next, lab.files, *lab.devices), RuntimeError);

        // The old deployment serves as before; its state files are untouched.
        CHECK(serving(lab, {&d, &next}) == before);
        CHECK(text(lab.files.installed) == installed);
        CHECK(text(lab.files.routes) == routes);
        // Nothing of the old deployment was taken down, and every slot emptied was one this
        // relocation (tried to) load.
        Installed old = installed_from_json(json::parse(installed), lab.files.installed);
        for (const InstalledFunction* f : old.of_type(FunctionType::Container)) {
            CHECK(lab.journal.matching(f->node + " stop " + f->container.instance).empty());
            CHECK(lab.journal.matching(f->node + " remove_netns " + f->container.netns).empty());
        }
        auto entries = lab.journal.entries();
        for (size_t i = 0; i < entries.size(); ++i) {
            if (operation(entries[i]) != "clear")
                continue;
            CAPTURE(entries[i]);
            bool loaded_here = false;
            for (size_t k = 0; k < i; ++k) {
                loaded_here =
                    loaded_here || (operation(entries[k]) == "load" &&
                                    target(entries[k]).rfind(target(entries[i]) + " ", 0) == 0);
            }
            CHECK(loaded_here);
        }
    }
}

TEST_CASE("device relocation: an unchanged function or flow gets no operation") {
    Deployment d = minimal();
    Deployment next = echo_moved(d);
    Lab lab(d);
    relocate::apply_relocation(d, next, lab.files, *lab.devices);
    const auto& j = lab.journal;

    size_t kept = 0, moved = 0;
    for (const auto& f : next.functions) {
        CAPTURE(f.spec.name);
        const PlacedFunction* old = d.find_function(f.chain, f.spec.name);
        REQUIRE(old);
        std::string instance = deploy::instance_name(kNet, f);
        bool same = old->node == f.node && old->slot == f.slot;
        (same ? kept : moved)++;
        if (f.spec.type == FunctionType::P4) {
            std::string slot = std::to_string(f.slot);
            CHECK(j.matching(f.node + " load " + slot + " ").size() == (same ? 0 : 1));
            // The old slot is emptied unless another function of `next` took it.
            bool reused = false;
            for (const auto& g : next.functions)
                reused = reused || (g.spec.type == FunctionType::P4 && g.node == old->node &&
                                    g.slot == old->slot);
            CHECK(j.matching(old->node + " clear " + std::to_string(old->slot)).size() ==
                  (same || reused ? 0 : 1));
        } else {
            CHECK(j.matching("* start " + instance).size() == (same ? 0 : 1));
            CHECK(j.matching("* stop " + instance).size() == (same ? 0 : 1));
            CHECK(j.matching("* netns " + f.netns()).size() == (same ? 0 : 1));
        }
    }
    CHECK(kept > 0);
    CHECK(moved > 0);

    size_t changed = 0;
    for (const auto& f : next.flows) {
        const Flow* old = nullptr;
        for (const auto& o : d.flows)
            if (o.pusher == f.pusher && o.src_ip == f.src_ip && o.dst_ip == f.dst_ip)
                old = &o;
        bool same = old && old->stack == f.stack;
        changed += same ? 0 : 1;
        CHECK(j.matching(f.pusher + " set_flow " + f.src_ip.str() + ">" + f.dst_ip.str() + " ")
                  .size() == (same ? 0 : 1));
    }
    CHECK(j.matching("* set_flow").size() == changed);
}

TEST_CASE("device install: installing and routing the same deployment again changes nothing") {
    Deployment d = minimal();
    Lab lab(d);
    lab.install(d);
    for (std::string op :
         {"load", "clear", "netns", "start", "stop", "set_flow", "delete_flow", "unwatch"}) {
        CAPTURE(op);
        CHECK(lab.journal.matching("* " + op).empty());
    }
    CHECK_FALSE(lab.journal.matching("* prefix_route").empty());  // forwarding is rewritten
}
