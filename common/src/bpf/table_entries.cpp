#include "chima/bpf/table_entries.hpp"

#include <bpf/bpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <vector>

#include "chima/error.hpp"
#include "chima/unique_fd.hpp"
#include "libbpf_support.hpp"

namespace chima::bpf {

namespace {

using nlohmann::json;
using MapResolver = std::function<FunctionMap(const std::string& name)>;

uint32_t mask_id_of(const std::vector<uint8_t>& key) {
    uint32_t id;
    std::memcpy(&id, key.data(), 4);
    return id;
}

// Entries of a ternary table whose key names mask slot `slot`.
bool mask_slot_referenced(FunctionMap entries, size_t key_size, uint32_t slot) {
    std::vector<uint8_t> key(key_size), next(key_size);
    void* prev = nullptr;
    while (bpf_map_get_next_key(entries.fd, prev, next.data()) == 0) {
        if (mask_id_of(next) == slot)
            return true;
        key = next;
        prev = key.data();
    }
    return false;
}

// The mask slot of a ternary entry: the slot holding its mask, else the first unused one,
// else (with `take_empty`) a used slot no entry refers to any more. -1 when there is none.
int64_t find_mask_slot(const MapResolver& maps, const p4::EncodedEntry& enc, bool take_empty) {
    FunctionMap masks = maps(enc.masks_map);
    std::vector<uint8_t> cur(enc.mask.size());
    std::vector<uint32_t> used;
    for (uint32_t i = 0; i < masks.max_entries; ++i) {
        if (bpf_map_lookup_elem(masks.fd, &i, cur.data()) != 0)
            throw_errno("read mask slot");
        if (mask_id_of(cur) == 0)
            return take_empty ? static_cast<int64_t>(i) : -1;
        if (cur == enc.mask)
            return i;
        used.push_back(i);
    }
    if (!take_empty)
        return -1;
    FunctionMap entries = maps(enc.map);
    for (uint32_t i : used) {
        if (!mask_slot_referenced(entries, enc.key.size(), i))
            return i;
    }
    return -1;
}

void write_entry_into(const MapResolver& maps, const json& p4info, const p4::EntrySpec& entry) {
    p4::EncodedEntry enc = p4::encode_entry(p4info, entry);
    FunctionMap map = maps(enc.map);
    if (!enc.masks_map.empty()) {
        int64_t slot = find_mask_slot(maps, enc, true);
        if (slot < 0)
            throw RuntimeError("table '" + entry.table + "' has no free mask slot (max " +
                               std::to_string(maps(enc.masks_map).max_entries) +
                               " distinct masks)");
        auto id = static_cast<uint32_t>(slot);
        std::vector<uint8_t> cur(enc.mask.size());
        FunctionMap masks = maps(enc.masks_map);
        if (bpf_map_lookup_elem(masks.fd, &id, cur.data()) != 0)
            throw_errno("read mask slot");
        if (cur != enc.mask && bpf_map_update_elem(masks.fd, &id, enc.mask.data(), BPF_ANY) != 0)
            throw_errno("write mask slot");
        std::memcpy(enc.key.data(), &id, 4);
    }
    if (bpf_map_update_elem(map.fd, enc.key.data(), enc.value.data(), BPF_ANY) != 0)
        throw_errno("write entry of table '" + entry.table + "'");
}

void delete_entry_from(const MapResolver& maps, const json& p4info, const p4::EntrySpec& entry) {
    p4::EncodedEntry enc = p4::encode_entry(p4info, entry);
    FunctionMap map = maps(enc.map);
    int64_t slot = 0;
    if (!enc.masks_map.empty()) {
        slot = find_mask_slot(maps, enc, false);
        if (slot < 0)
            return;  // no slot holds its mask: no such entry
        auto id = static_cast<uint32_t>(slot);
        std::memcpy(enc.key.data(), &id, 4);
    }
    if (bpf_map_delete_elem(map.fd, enc.key.data()) != 0 && errno != ENOENT)
        throw_errno("delete entry of table '" + entry.table + "'");
    if (enc.masks_map.empty())
        return;
    // Release trailing slots no entry refers to (slots stay contiguous from 0).
    FunctionMap masks = maps(enc.masks_map);
    std::vector<uint8_t> cur(enc.mask.size()), empty(enc.mask.size(), 0);
    int64_t last = -1;
    for (uint32_t i = 0; i < masks.max_entries; ++i) {
        if (bpf_map_lookup_elem(masks.fd, &i, cur.data()) != 0)
            throw_errno("read mask slot");
        if (mask_id_of(cur) == 0)
            break;
        last = i;
    }
    for (int64_t i = last; i >= 0; --i) {
        auto id = static_cast<uint32_t>(i);
        if (mask_slot_referenced(map, enc.key.size(), id))
            break;
        if (bpf_map_update_elem(masks.fd, &id, empty.data(), BPF_ANY) != 0)
            throw_errno("release mask slot");
    }
}

MapResolver object_maps(bpf_object* obj) {
    return [obj](const std::string& name) {
        bpf_map* map = bpf_object__find_map_by_name(obj, name.c_str());
        if (!map)
            throw RuntimeError("object has no map '" + name + "'");
        return FunctionMap{bpf_map__fd(map), bpf_map__max_entries(map)};
    };
}

// Opens pinned maps once each; the fds live as long as the resolver.
MapResolver pinned_maps(const std::filesystem::path& pin_dir) {
    auto open = std::make_shared<std::map<std::string, std::pair<UniqueFd, uint32_t>>>();
    return [pin_dir, open](const std::string& name) {
        auto it = open->find(name);
        if (it == open->end()) {
            std::string pin = name;
            std::replace(pin.begin(), pin.end(), '.', '_');
            std::filesystem::path path = pin_dir / pin;
            int fd = bpf_obj_get(path.c_str());
            if (fd < 0)
                throw_errno("open pinned map " + path.string());
            UniqueFd owned(fd);
            bpf_map_info info{};
            uint32_t len = sizeof info;
            if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0)
                throw_errno("read map info of " + name);
            it = open->emplace(name, std::pair{std::move(owned), info.max_entries}).first;
        }
        return FunctionMap{it->second.first.get(), it->second.second};
    };
}

void check_index(FunctionMap map, const std::string& name, uint32_t index) {
    if (index >= map.max_entries)
        throw InputError("index " + std::to_string(index) + " outside map '" + name + "' (" +
                         std::to_string(map.max_entries) + " cells)");
}

}  // namespace

void install_entry(bpf_object* obj, const json& p4info, const p4::EntrySpec& entry) {
    write_entry_into(object_maps(obj), p4info, entry);
}

void install_entry(const std::filesystem::path& pin_dir, const json& p4info,
                   const p4::EntrySpec& entry) {
    write_entry_into(pinned_maps(pin_dir), p4info, entry);
}

void install_const_entries(const std::filesystem::path& pin_dir, const json& p4info) {
    MapResolver maps = pinned_maps(pin_dir);
    for (const auto& e : p4::const_entries(p4info))
        write_entry_into(maps, p4info, e);
}

void install_const_entries(bpf_object* obj, const json& p4info) {
    MapResolver maps = object_maps(obj);
    for (const auto& e : p4::const_entries(p4info))
        write_entry_into(maps, p4info, e);
}

SlotMaps::SlotMaps(std::filesystem::path pin_dir)
    : dir_(std::move(pin_dir)), maps_(pinned_maps(dir_)) {}

FunctionMap SlotMaps::map(const std::string& name) const {
    return maps_(name);
}

void SlotMaps::write_entry(const json& p4info, const p4::EntrySpec& entry) {
    write_entry_into(maps_, p4info, entry);
}

void SlotMaps::delete_entry(const json& p4info, const p4::EntrySpec& entry) {
    delete_entry_from(maps_, p4info, entry);
}

bool SlotMaps::has_mask_slot(const json& p4info, const p4::EntrySpec& entry) const {
    p4::EncodedEntry enc = p4::encode_entry(p4info, entry);
    return enc.masks_map.empty() || find_mask_slot(maps_, enc, true) >= 0;
}

std::pair<uint64_t, uint64_t> SlotMaps::counter(const std::string& name, uint32_t index) const {
    FunctionMap m = maps_(name);
    check_index(m, name, index);
    size_t stride = 0;
    int cpus = 0;
    auto values = detail::read_percpu(m.fd, index, 16, &stride, &cpus);
    uint64_t packets = 0, bytes = 0;
    for (int cpu = 0; cpu < cpus; ++cpu) {
        uint64_t cell[2];
        std::memcpy(cell, values.data() + stride * cpu, sizeof cell);
        packets += cell[0];
        bytes += cell[1];
    }
    return {packets, bytes};
}

void SlotMaps::set_counter(const std::string& name, uint32_t index, uint64_t packets,
                           uint64_t bytes) {
    FunctionMap m = maps_(name);
    check_index(m, name, index);
    int cpus = libbpf_num_possible_cpus();
    if (cpus <= 0)
        throw RuntimeError("cannot count the possible CPUs");
    std::vector<uint64_t> values(2 * static_cast<size_t>(cpus), 0);
    values[0] = packets;
    values[1] = bytes;
    if (bpf_map_update_elem(m.fd, &index, values.data(), BPF_ANY) != 0)
        throw_errno("write counter '" + name + "'");
}

uint64_t SlotMaps::register_cell(const std::string& name, uint32_t index, int size) const {
    FunctionMap m = maps_(name);
    check_index(m, name, index);
    uint64_t value = 0;
    std::vector<uint8_t> cell(static_cast<size_t>(size));
    if (bpf_map_lookup_elem(m.fd, &index, cell.data()) != 0)
        throw_errno("read register '" + name + "'");
    std::memcpy(&value, cell.data(), std::min<size_t>(cell.size(), 8));  // little-endian hosts
    return value;
}

void SlotMaps::set_register_cell(const std::string& name, uint32_t index, int size,
                                 uint64_t value) {
    FunctionMap m = maps_(name);
    check_index(m, name, index);
    std::vector<uint8_t> cell(static_cast<size_t>(size), 0);
    std::memcpy(cell.data(), &value, std::min<size_t>(cell.size(), 8));
    if (bpf_map_update_elem(m.fd, &index, cell.data(), BPF_ANY) != 0)
        throw_errno("write register '" + name + "'");
}

}  // namespace chima::bpf
