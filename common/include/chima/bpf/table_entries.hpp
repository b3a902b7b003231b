// Writing P4 table entries into the maps of a loaded function: the bytes come from
// p4::encode_entry (chima/p4/entries.hpp), the maps from a loaded object or from the pins a
// switch made for a slot. Ternary tables also get their mask slot found or added.
//
// Ternary mask slots: the generated lookup walks the `masks` array from slot 0 and stops at
// the first unused slot, so used slots stay contiguous. A slot whose last entry is deleted
// stays in use (its mask unchanged) unless it is the last used one; a later entry with a new
// mask takes over such an empty slot (no entry refers to it, so a packet meeting the
// half-written mask finds nothing).
#pragma once

#include <bpf/libbpf.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

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

// One map of a function: its fd and capacity.
struct FunctionMap {
    int fd = -1;
    uint32_t max_entries = 0;
};

// The pinned maps of one function slot, each opened once, for a controller that writes,
// deletes and reads entries, counters and registers over the function's lifetime.
class SlotMaps {
  public:
    explicit SlotMaps(std::filesystem::path pin_dir);
    SlotMaps(const SlotMaps&) = delete;
    SlotMaps& operator=(const SlotMaps&) = delete;

    const std::filesystem::path& pin_dir() const { return dir_; }
    FunctionMap map(const std::string& name) const;

    // Inserts or replaces the entry (ternary: finds or takes a mask slot).
    void write_entry(const nlohmann::json& p4info, const p4::EntrySpec& entry);
    // Deletes the entry; idempotent (ternary: releases a trailing mask slot left empty).
    void delete_entry(const nlohmann::json& p4info, const p4::EntrySpec& entry);
    // Whether write_entry would find a mask slot for the entry (always true but for a
    // ternary table whose every slot holds another mask still in use).
    bool has_mask_slot(const nlohmann::json& p4info, const p4::EntrySpec& entry) const;

    // Counter cell summed over CPUs ({packets, bytes}); set writes it on CPU 0, zero elsewhere.
    std::pair<uint64_t, uint64_t> counter(const std::string& map, uint32_t index) const;
    void set_counter(const std::string& map, uint32_t index, uint64_t packets, uint64_t bytes);
    // Register cell of `size` bytes (host order, as the program keeps it).
    uint64_t register_cell(const std::string& map, uint32_t index, int size) const;
    void set_register_cell(const std::string& map, uint32_t index, int size, uint64_t value);

  private:
    std::filesystem::path dir_;
    std::function<FunctionMap(const std::string&)> maps_;
};

}  // namespace chima::bpf
