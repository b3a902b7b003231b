// Installing table entries into the maps of a loaded function object or of a switch slot's
// pins (declared in chima/p4/entries.hpp; defined here because they write BPF maps, so that
// the P4 front end itself does not link libbpf).
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <memory>

#include "chima/error.hpp"
#include "chima/p4/entries.hpp"
#include "chima/unique_fd.hpp"

namespace chima::p4 {

using nlohmann::json;

namespace {

// Where install_entry finds a table's maps: a loaded object or a slot's pin directory.
struct MapRef {
    int fd = -1;
    uint32_t max_entries = 0;
};
using MapResolver = std::function<MapRef(const std::string& name)>;

void install_entry_into(const MapResolver& maps, const json& p4info, const EntrySpec& entry) {
    EncodedEntry enc = encode_entry(p4info, entry);
    MapRef map = maps(enc.map);
    if (!enc.masks_map.empty()) {
        MapRef masks = maps(enc.masks_map);
        uint32_t n = masks.max_entries;
        std::vector<uint8_t> cur(enc.mask.size());
        uint32_t slot = n;
        for (uint32_t i = 0; i < n; ++i) {
            if (bpf_map_lookup_elem(masks.fd, &i, cur.data()) != 0)
                throw_errno("read mask slot");
            uint32_t used;
            std::memcpy(&used, cur.data(), 4);
            if (!used || cur == enc.mask) {
                slot = i;
                if (!used && bpf_map_update_elem(masks.fd, &i, enc.mask.data(), BPF_ANY) != 0)
                    throw_errno("write mask slot");
                break;
            }
        }
        if (slot == n)
            throw RuntimeError("table '" + entry.table + "' has no free mask slot (max " +
                               std::to_string(n) + " distinct masks)");
        std::memcpy(enc.key.data(), &slot, 4);
    }
    if (bpf_map_update_elem(map.fd, enc.key.data(), enc.value.data(), BPF_ANY) != 0)
        throw_errno("write entry of table '" + entry.table + "'");
}

MapResolver object_maps(bpf_object* obj) {
    return [obj](const std::string& name) {
        bpf_map* map = bpf_object__find_map_by_name(obj, name.c_str());
        if (!map)
            throw RuntimeError("object has no map '" + name + "'");
        return MapRef{bpf_map__fd(map), bpf_map__max_entries(map)};
    };
}

// Opens pinned maps once each; the fds live as long as the resolver.
MapResolver pinned_maps(const std::filesystem::path& pin_dir,
                        std::shared_ptr<std::map<std::string, UniqueFd>> open) {
    return [pin_dir, open](const std::string& name) {
        auto it = open->find(name);
        if (it == open->end()) {
            std::string pin = name;
            std::replace(pin.begin(), pin.end(), '.', '_');
            std::filesystem::path path = pin_dir / pin;
            int fd = bpf_obj_get(path.c_str());
            if (fd < 0)
                throw_errno("open pinned map " + path.string());
            it = open->emplace(name, UniqueFd(fd)).first;
        }
        bpf_map_info info{};
        uint32_t len = sizeof info;
        if (bpf_obj_get_info_by_fd(it->second.get(), &info, &len) != 0)
            throw_errno("read map info of " + name);
        return MapRef{it->second.get(), info.max_entries};
    };
}

void install_const_entries_into(const MapResolver& maps, const json& p4info);

}  // namespace

void install_entry(bpf_object* obj, const json& p4info, const EntrySpec& entry) {
    install_entry_into(object_maps(obj), p4info, entry);
}

void install_entry(const std::filesystem::path& pin_dir, const json& p4info,
                   const EntrySpec& entry) {
    install_entry_into(pinned_maps(pin_dir, std::make_shared<std::map<std::string, UniqueFd>>()),
                       p4info, entry);
}

void install_const_entries(const std::filesystem::path& pin_dir, const json& p4info) {
    install_const_entries_into(
        pinned_maps(pin_dir, std::make_shared<std::map<std::string, UniqueFd>>()), p4info);
}

void install_const_entries(bpf_object* obj, const json& p4info) {
    install_const_entries_into(object_maps(obj), p4info);
}

namespace {
void install_const_entries_into(const MapResolver& maps, const json& p4info) {
    for (const auto& t : p4info.at("tables")) {
        if (!t.contains("const_entries"))
            continue;
        for (const auto& ce : t.at("const_entries")) {
            EntrySpec e;
            e.table = t.at("name");
            e.action = ce.at("action");
            e.priority = ce.at("priority");
            for (const auto& p : ce.at("params"))
                e.params.push_back(p.get<uint64_t>());
            for (const auto& k : ce.at("keys")) {
                KeyMatch m;
                m.wildcard = k.value("wildcard", false);
                m.value = k.value("value", uint64_t{0});
                m.mask = k.value("mask", ~uint64_t{0});
                m.prefix_len = k.value("prefix_len", -1);
                e.keys.push_back(m);
            }
            install_entry_into(maps, p4info, e);
        }
    }
}
}  // namespace

}  // namespace chima::p4
