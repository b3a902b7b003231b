#include <spdlog/spdlog.h>

#include <set>

#include "chima/deploy/compile_deployment.hpp"
#include "chima/deploy/install.hpp"
#include "chima/state_file.hpp"

namespace chima::deploy {

using nlohmann::json;

namespace {

// A slot as recorded in installed.json.
struct SlotRecord {
    std::string node;
    uint32_t slot = 0;
    std::string hash;
    uint32_t program_id = 0;
    std::string entries_hash;
};

std::map<std::string, SlotRecord> previous_slots(const std::optional<json>& previous) {
    std::map<std::string, SlotRecord> out;
    if (!previous || !previous->contains("functions"))
        return out;
    for (const auto& f : (*previous)["functions"]) {
        if (f.value("type", "") != "p4")
            continue;
        out[f.value("chain", "") + "/" + f.value("name", "")] =
            SlotRecord{f.value("node", ""), f.value("slot", 0u), f.value("object_hash", ""),
                       f.value("program_id", 0u), f.value("entries_hash", "")};
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
    load.p4info = json::parse(read_file(art.p4info));
    load.entries = resolve_entries(f, load.p4info);
    return load;
}

}  // namespace

void load_p4_functions(const Deployment& d, const Artifacts& artifacts,
                       device::DeviceRegistry& devices, const std::optional<json>& previous,
                       SlotLoad& result, SlotChanges& changes) {
    auto before = previous_slots(previous);

    std::set<std::pair<std::string, uint32_t>> used;
    for (const auto& f : d.functions) {
        if (f.spec.type != FunctionType::P4)
            continue;
        const Switch* sw = d.topology.find_switch(f.node);
        if (sw->target != SwitchTarget::Ebpf) {
            throw RuntimeError("function '" + f.spec.name + "': switch '" + f.node +
                               "' has target p4runtime, which chima-install cannot program yet");
        }
        const FunctionArtifact* art = artifacts.find(f.chain, f.spec.name);
        if (!art) {
            throw InputError("artifacts have no object for function '" + f.chain + "/" +
                             f.spec.name + "' (run chima-compile)");
        }
        std::string key = f.chain + "/" + f.spec.name;
        auto& sw_device = devices.switch_device(f.node);
        auto it = before.find(key);
        uint32_t id = sw_device.slot_function(f.slot);
        bool same = it != before.end() && it->second.node == f.node && it->second.slot == f.slot &&
                    it->second.hash == art->hash && id != 0 && id == it->second.program_id &&
                    it->second.entries_hash == entries_hash(f);
        if (same) {
            ++changes.unchanged;
        } else {
            for (const auto& [other, rec] : before) {
                if (other != key && rec.node == f.node && rec.slot == f.slot) {
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
        result.functions.push_back({{"chain", f.chain},
                                    {"name", f.spec.name},
                                    {"type", "p4"},
                                    {"node", f.node},
                                    {"slot", f.slot},
                                    {"object", art->object},
                                    {"object_hash", art->hash},
                                    {"entries_hash", entries_hash(f)},
                                    {"program_id", id},
                                    {"state", "installed"}});
    }
    for (const auto& [key, rec] : before) {
        if (used.count({rec.node, rec.slot}))
            continue;
        if (!d.topology.find_switch(rec.node))
            continue;
        result.stale.push_back({key, rec.node, rec.slot});
    }
}

size_t clear_p4_slots(device::DeviceRegistry& devices, const std::vector<SlotRef>& slots) {
    for (const auto& s : slots) {
        devices.switch_device(s.node).clear_slot(s.slot);
        spdlog::info("{}: slot {} of {} emptied", s.function, s.slot, s.node);
    }
    return slots.size();
}

json install_p4_functions(const Deployment& d, const Artifacts& artifacts,
                          device::DeviceRegistry& devices, const std::optional<json>& previous,
                          SlotChanges& changes) {
    SlotLoad load;
    load_p4_functions(d, artifacts, devices, previous, load, changes);
    // Break after make: empty the slots nothing uses any more.
    changes.cleared += clear_p4_slots(devices, load.stale);
    return load.functions;
}

}  // namespace chima::deploy
