// Table entries for compiled functions: encoding (match values, action, params, priority)
// into map key/value bytes from the P4Info JSON alone, and installing them into the maps of
// a loaded function object. No recompilation: the layout is all in the P4Info.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

struct bpf_object;

namespace chima::p4 {

// One key field's match: exact uses value; lpm value+prefix_len; ternary value+mask.
struct KeyMatch {
    uint64_t value = 0;
    uint64_t mask = ~0ULL;  // ternary; all ones = exact
    int prefix_len = -1;    // lpm; -1 = the full width
    bool wildcard = false;  // ternary/lpm "_" (mask 0 / prefix 0)
};

struct EntrySpec {
    std::string table;
    std::vector<KeyMatch> keys;  // in the table's key order as written in P4
    std::string action;
    std::vector<uint64_t> params;
    uint32_t priority = 0;  // ternary: the higher wins
};

struct EncodedEntry {
    std::string map;
    std::vector<uint8_t> key;  // ternary: mask_id is 0 here; install_entry sets it
    std::vector<uint8_t> value;
    std::string masks_map;      // ternary only
    std::vector<uint8_t> mask;  // ternary: the masks-map value for this entry's mask
};

// Throws InputError when the entry does not fit the table (unknown action, wrong arity,
// value wider than the field, action not allowed in the table).
EncodedEntry encode_entry(const nlohmann::json& p4info, const EntrySpec& entry);

// The installers below write BPF maps: they are in the bpf library (link chima::bpf).

// Writes the entry into the object's maps (ternary: finds or adds its mask slot).
void install_entry(bpf_object* obj, const nlohmann::json& p4info, const EntrySpec& entry);

// Installs every table's `const entries` (listed in the P4Info) into a loaded object. A
// loader calls this once after loading a function, before the slot goes live.
void install_const_entries(bpf_object* obj, const nlohmann::json& p4info);

// The same into the maps a switch pinned for a loaded function (SwitchPipeline::slot_dir:
// one pin per map, '.' in map names replaced by '_'), after the object was closed.
void install_entry(const std::filesystem::path& pin_dir, const nlohmann::json& p4info,
                   const EntrySpec& entry);
void install_const_entries(const std::filesystem::path& pin_dir, const nlohmann::json& p4info);

}  // namespace chima::p4
