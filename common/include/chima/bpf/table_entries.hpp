// Writing P4 table entries into the maps of a loaded function: the bytes come from
// p4::encode_entry (chima/p4/entries.hpp), the maps from a loaded object or from the pins a
// switch made for a slot. Ternary tables also get their mask slot found or added.
#pragma once

#include <bpf/libbpf.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "chima/p4/entries.hpp"

namespace chima::bpf {

// Writes the entry into the object's maps (ternary: finds or adds its mask slot).
void install_entry(bpf_object* obj, const nlohmann::json& p4info, const p4::EntrySpec& entry);

// Installs every table's `const entries` (listed in the P4Info) into a loaded object. A
// loader calls this once after loading a function, before the slot goes live.
void install_const_entries(bpf_object* obj, const nlohmann::json& p4info);

// The same into the maps a switch pinned for a loaded function (SwitchPipeline::slot_dir:
// one pin per map, '.' in map names replaced by '_'), after the object was closed.
void install_entry(const std::filesystem::path& pin_dir, const nlohmann::json& p4info,
                   const p4::EntrySpec& entry);
void install_const_entries(const std::filesystem::path& pin_dir, const nlohmann::json& p4info);

}  // namespace chima::bpf
