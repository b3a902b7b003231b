#include <spdlog/spdlog.h>

#include <set>

#include "chima/bpf/switch_pipeline.hpp"
#include "chima/deploy/compile_deployment.hpp"
#include "chima/deploy/install.hpp"
#include "chima/emulation/emulated_network.hpp"
#include "chima/bpf/table_entries.hpp"
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

// Const entries of the function's tables, then the deployment's entries for it, into the
// maps the switch pinned for the slot.
size_t install_entries(const PlacedFunction& f, const FunctionArtifact& art,
                       const std::filesystem::path& slot_dir) {
    if (art.p4info.empty()) {
        if (!f.spec.entries.empty())
            throw InputError("function '" + f.chain + "/" + f.spec.name +
                             "' has table entries but its artifact has no p4info");
        return 0;
    }
    json p4info = json::parse(read_file(art.p4info));
    bpf::install_const_entries(slot_dir, p4info);
    auto entries = resolve_entries(f, p4info);
    for (const auto& e : entries)
        bpf::install_entry(slot_dir, p4info, e);
    return entries.size();
}

}  // namespace

void load_p4_functions(const Deployment& d, const Artifacts& artifacts, const std::string& net,
                       const std::optional<json>& previous, SlotLoad& result,
                       SlotChanges& changes) {
    auto before = previous_slots(previous);
    std::map<std::string, bpf::SwitchPipeline> pipelines;
    auto pipeline = [&](const std::string& sw) -> bpf::SwitchPipeline& {
        auto it = pipelines.find(sw);
        if (it == pipelines.end()) {
            it = pipelines.emplace(sw, bpf::SwitchPipeline::open(emulation::node_pin_dir(net, sw)))
                     .first;
        }
        return it->second;
    };

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
        auto& p = pipeline(f.node);
        auto it = before.find(key);
        uint32_t id = p.slot_program_id(f.slot);
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
            // The entries go into the new function's maps before its slot goes live: no
            // packet meets it with empty tables.
            size_t n = 0;
            p.install_function(f.slot, art->object, art->program,
                               [&](const std::filesystem::path& maps) {
                                   n = install_entries(f, *art, maps);
                               });
            id = p.slot_program_id(f.slot);
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

size_t clear_p4_slots(const std::string& net, const std::vector<SlotRef>& slots) {
    std::map<std::string, bpf::SwitchPipeline> pipelines;
    for (const auto& s : slots) {
        auto it = pipelines.find(s.node);
        if (it == pipelines.end()) {
            it = pipelines
                     .emplace(s.node,
                              bpf::SwitchPipeline::open(emulation::node_pin_dir(net, s.node)))
                     .first;
        }
        it->second.clear_slot(s.slot);
        spdlog::info("{}: slot {} of {} emptied", s.function, s.slot, s.node);
    }
    return slots.size();
}

json install_p4_functions(const Deployment& d, const Artifacts& artifacts, const std::string& net,
                          const std::optional<json>& previous, SlotChanges& changes) {
    SlotLoad load;
    load_p4_functions(d, artifacts, net, previous, load, changes);
    // Break after make: empty the slots nothing uses any more.
    changes.cleared += clear_p4_slots(net, load.stale);
    return load.functions;
}

}  // namespace chima::deploy
