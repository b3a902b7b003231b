#include <spdlog/spdlog.h>

#include <set>

#include "chima/deploy/compile_deployment.hpp"
#include "chima/deploy/install.hpp"
#include "chima/state_file.hpp"

namespace chima::deploy {

using nlohmann::json;

namespace {

// The P4 functions of the previous installed.json by "chain/name".
std::map<std::string, const InstalledFunction*> previous_slots(
    const std::optional<Installed>& previous) {
    std::map<std::string, const InstalledFunction*> out;
    if (previous) {
        for (const InstalledFunction* f : previous->of_type(FunctionType::P4))
            out[f->key()] = f;
    }
    return out;
}

// The entries a function's tables get from the deployment, as text, so a changed entry
// reinstalls the slot (fresh maps) rather than leaving a stale entry behind.
std::string entries_hash(const PlacedFunction& f) {
    json j = json::array();
    for (const auto& e : f.spec.entries)
        j.push_back({e.table, e.match, e.action, e.params, e.priority});
    return std::to_string(std::hash<std::string>{}(j.dump()));
}

// What the switch loads into the function's slot: its object, and the const entries of its
// tables plus the deployment's entries for it (written before the slot goes live).
device::FunctionLoad function_load(const PlacedFunction& f, const FunctionArtifact& art) {
    device::FunctionLoad load{art.object, art.program, nullptr, true, {}};
    if (art.p4info.empty()) {
        if (!f.spec.entries.empty())
            throw InputError("function '" + f.chain + "/" + f.spec.name +
                             "' has table entries but its artifact has no p4info");
        return load;
    }
    try {
        load.p4info = json::parse(read_file(art.p4info));
    } catch (const json::exception& e) {
        throw InputError(SourceMark{art.p4info},
                         std::string("not a P4Info JSON document: ") + e.what());
    }
    load.entries = resolve_entries(f, load.p4info);
    return load;
}

// The P4 functions of `d`'s switches: each on an eBPF switch, with an artifact.
const FunctionArtifact& artifact_of(const PlacedFunction& f, const Artifacts& artifacts,
                                    const std::string& artifacts_file) {
    const FunctionArtifact* art = artifacts.find(f.chain, f.spec.name);
    if (!art) {
        throw InputError(SourceMark{artifacts_file},
                         "no object for function '" + f.chain + "/" + f.spec.name + "'",
                         "run chima-compile on the deployment");
    }
    return *art;
}

// The switches chima-install programs are the eBPF ones (P4Runtime is the agent's issue).
void require_ebpf_switch(const Deployment& d, const PlacedFunction& f) {
    const Switch* sw = d.topology.find_switch(f.node);
    if (sw->target != SwitchTarget::Ebpf) {
        throw RuntimeError("function '" + f.spec.name + "': switch '" + f.node +
                           "' has target p4runtime, which chima-install cannot program yet");
    }
}

}  // namespace

void check_p4_inputs(const Deployment& d, const Artifacts& artifacts,
                     const std::string& artifacts_file) {
    for (const auto& f : d.functions) {
        if (f.spec.type != FunctionType::P4)
            continue;
        require_ebpf_switch(d, f);
        // Its P4Info read and its table entries resolved against it, as loading will.
        function_load(f, artifact_of(f, artifacts, artifacts_file));
    }
}

void load_p4_functions(const Deployment& d, const Artifacts& artifacts,
                       device::DeviceRegistry& devices, const std::optional<Installed>& previous,
                       SlotLoad& result, SlotChanges& changes) {
    auto before = previous_slots(previous);

    std::set<std::pair<std::string, uint32_t>> used;
    for (const auto& f : d.functions) {
        if (f.spec.type != FunctionType::P4)
            continue;
        require_ebpf_switch(d, f);
        const FunctionArtifact* art = artifacts.find(f.chain, f.spec.name);
        if (!art) {
            throw InputError("artifacts have no object for function '" + f.chain + "/" +
                             f.spec.name + "' (run chima-compile)");
        }
        std::string key = f.chain + "/" + f.spec.name;
        auto& sw_device = devices.switch_device(f.node);
        auto it = before.find(key);
        uint32_t id = sw_device.slot_function(f.slot);
        const InstalledFunction* old = it == before.end() ? nullptr : it->second;
        bool same = old && old->node == f.node && old->p4.slot == f.slot &&
                    old->p4.object_hash == art->hash && id != 0 && id == old->p4.program_id &&
                    old->p4.entries_hash == entries_hash(f);
        if (same) {
            ++changes.unchanged;
        } else {
            for (const auto& [other, rec] : before) {
                if (other != key && rec->node == f.node && rec->p4.slot == f.slot) {
                    // compose() keeps slots stable, so this should not happen; if it does,
                    // the old function stops before the label stacks switch.
                    spdlog::warn("{}: slot {} of {} still serves {} until the paths switch", key,
                                 f.slot, f.node, other);
                }
            }
            result.loaded.push_back({key, f.node, f.slot});  // before: a half-loaded slot counts
            // The entries go in before the slot goes live: no packet meets the function with
            // empty tables.
            auto load = function_load(f, *art);
            size_t n = load.entries.size();
            sw_device.load_function(f.slot, load);
            id = sw_device.slot_function(f.slot);
            ++changes.installed;
            if (n)
                spdlog::info("{}: {} table entries written", key, n);
            spdlog::info("{}: slot {} of {} now runs {}", key, f.slot, f.node, art->object);
        }
        used.insert({f.node, f.slot});
        InstalledFunction entry;
        entry.chain = f.chain;
        entry.name = f.spec.name;
        entry.type = FunctionType::P4;
        entry.node = f.node;
        entry.state = "installed";
        entry.p4 = {f.slot, art->object, art->hash, entries_hash(f), id};
        result.functions.push_back(std::move(entry));
    }
    for (const auto& [key, rec] : before) {
        if (used.count({rec->node, rec->p4.slot}))
            continue;
        if (!d.topology.find_switch(rec->node))
            continue;
        result.stale.push_back({key, rec->node, rec->p4.slot});
    }
}

void restore_p4_slots(const Deployment& d, const Artifacts& artifacts,
                      device::DeviceRegistry& devices, const std::optional<Installed>& installed,
                      const std::vector<SlotRef>& loaded) {
    std::set<std::pair<std::string, uint32_t>> used;
    for (const auto& f : d.functions)
        if (f.spec.type == FunctionType::P4)
            used.insert({f.node, f.slot});
    std::vector<SlotRef> added;
    for (const auto& s : loaded)
        if (!used.count({s.node, s.slot}))
            added.push_back(s);
    clear_p4_slots(devices, added);
    if (!used.empty()) {
        SlotChanges restored;
        install_p4_functions(d, artifacts, devices, installed, restored);
    }
}

size_t clear_p4_slots(device::DeviceRegistry& devices, const std::vector<SlotRef>& slots) {
    for (const auto& s : slots) {
        devices.switch_device(s.node).clear_slot(s.slot);
        spdlog::info("{}: slot {} of {} emptied", s.function, s.slot, s.node);
    }
    return slots.size();
}

std::vector<InstalledFunction> install_p4_functions(const Deployment& d, const Artifacts& artifacts,
                                                    device::DeviceRegistry& devices,
                                                    const std::optional<Installed>& previous,
                                                    SlotChanges& changes) {
    SlotLoad load;
    load_p4_functions(d, artifacts, devices, previous, load, changes);
    // Break after make: empty the slots nothing uses any more.
    changes.cleared += clear_p4_slots(devices, load.stale);
    return load.functions;
}

}  // namespace chima::deploy
