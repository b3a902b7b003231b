#include "chima/bpf/table_entries.hpp"

#include <bpf/bpf.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <memory>

#include "chima/unique_fd.hpp"
#include "chima/error.hpp"

namespace chima::bpf {

namespace {

using nlohmann::json;

// Where an entry's maps are found: a loaded object or a slot's pin directory.
struct MapRef {
    int fd = -1;
    uint32_t max_entries = 0;
};
using MapResolver = std::function<MapRef(const std::string& name)>;

void install_entry_into(const MapResolver& maps, const json& p4info, const p4::EntrySpec& entry) {
    p4::EncodedEntry enc = p4::encode_entry(p4info, entry);
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

void install_const_entries_into(const MapResolver& maps, const json& p4info) {
    for (const auto& e : p4::const_entries(p4info))
        install_entry_into(maps, p4info, e);
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
MapResolver pinned_maps(const std::filesystem::path& pin_dir) {
    auto open = std::make_shared<std::map<std::string, UniqueFd>>();
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

}  // namespace

void install_entry(bpf_object* obj, const json& p4info, const p4::EntrySpec& entry) {
    install_entry_into(object_maps(obj), p4info, entry);
}

void install_entry(const std::filesystem::path& pin_dir, const json& p4info,
                   const p4::EntrySpec& entry) {
    install_entry_into(pinned_maps(pin_dir), p4info, entry);
}

void install_const_entries(const std::filesystem::path& pin_dir, const json& p4info) {
    install_const_entries_into(pinned_maps(pin_dir), p4info);
}

void install_const_entries(bpf_object* obj, const json& p4info) {
    install_const_entries_into(object_maps(obj), p4info);
}

}  // namespace chima::bpf
