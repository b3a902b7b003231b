#include "chima/p4/device_config.hpp"

#include <set>

#include "chima/base64.hpp"
#include "chima/content_hash.hpp"
#include "chima/error.hpp"

namespace chima::p4 {

using nlohmann::json;

namespace {

// Slots a function SID can name: 1..63 (CHIMA_MAX_SLOTS is 64, slot 0 is never used).
constexpr uint32_t kMaxSlot = 63;

const json& field(const json& j, const char* key, json::value_t type, const std::string& path) {
    if (!j.is_object() || !j.contains(key))
        throw InputError("device config: " + path + "/" + key + " is missing");
    const json& v = j.at(key);
    bool ok =
        v.type() == type || (type == json::value_t::number_unsigned &&
                             v.type() == json::value_t::number_integer && v.get<int64_t>() >= 0);
    if (!ok)
        throw InputError("device config: " + path + "/" + key + " has the wrong type");
    return v;
}

std::string text(const json& j, const char* key, const std::string& path) {
    return field(j, key, json::value_t::string, path).get<std::string>();
}

uint64_t number(const json& j, const char* key, const std::string& path) {
    return field(j, key, json::value_t::number_unsigned, path).get<uint64_t>();
}

json entries_json(const std::vector<EntrySpec>& entries) {
    json out = json::array();
    for (const auto& e : entries)
        out.push_back(entry_to_json(e));
    return out;
}

}  // namespace

json entry_to_json(const EntrySpec& e) {
    json keys = json::array();
    for (const auto& k : e.keys) {
        if (k.wildcard)
            keys.push_back({{"wildcard", true}});
        else
            keys.push_back({{"value", k.value}, {"mask", k.mask}, {"prefix_len", k.prefix_len}});
    }
    return {{"table", e.table},
            {"keys", keys},
            {"action", e.action},
            {"params", e.params},
            {"priority", e.priority}};
}

EntrySpec entry_from_json(const json& j, const std::string& path) {
    EntrySpec e;
    e.table = text(j, "table", path);
    e.action = text(j, "action", path);
    e.priority = static_cast<uint32_t>(number(j, "priority", path));
    const json& params = field(j, "params", json::value_t::array, path);
    for (size_t i = 0; i < params.size(); ++i) {
        if (!params[i].is_number_unsigned())
            throw InputError("device config: " + path + "/params/" + std::to_string(i) +
                             " is not an unsigned integer");
        e.params.push_back(params[i].get<uint64_t>());
    }
    const json& keys = field(j, "keys", json::value_t::array, path);
    for (size_t i = 0; i < keys.size(); ++i) {
        std::string kp = path + "/keys/" + std::to_string(i);
        KeyMatch k;
        if (keys[i].is_object() && keys[i].value("wildcard", false)) {
            k.wildcard = true;
        } else {
            k.value = number(keys[i], "value", kp);
            k.mask = number(keys[i], "mask", kp);
            // -1: the full width (an exact match of an lpm key).
            if (!keys[i].contains("prefix_len") || !keys[i].at("prefix_len").is_number_integer())
                throw InputError("device config: " + kp +
                                 "/prefix_len is missing or not an integer");
            k.prefix_len = keys[i].at("prefix_len").get<int>();
        }
        e.keys.push_back(k);
    }
    return e;
}

json to_json(const DeviceConfig& c) {
    json fns = json::array();
    for (const auto& f : c.functions)
        fns.push_back({{"slot", f.slot},
                       {"name", f.name},
                       {"control", f.control},
                       {"hash", f.hash},
                       {"program", f.program},
                       {"object_base64", base64_encode(f.object)},
                       {"p4info", f.p4info},
                       {"p4runtime_info", f.p4runtime_info},
                       {"entries", entries_json(f.entries)}});
    return {{"format", kDeviceConfigFormat},
            {"template", {{"name", c.template_name}, {"hash", c.template_hash}}},
            {"functions", fns}};
}

DeviceConfig device_config_from_json(const json& j) {
    if (text(j, "format", "") != kDeviceConfigFormat)
        throw InputError(std::string("device config: /format is not \"") + kDeviceConfigFormat +
                         "\"");
    DeviceConfig c;
    const json& t = field(j, "template", json::value_t::object, "");
    c.template_name = text(t, "name", "/template");
    c.template_hash = text(t, "hash", "/template");
    const json& fns = field(j, "functions", json::value_t::array, "");
    std::set<uint32_t> slots;
    for (size_t i = 0; i < fns.size(); ++i) {
        std::string path = "/functions/" + std::to_string(i);
        const json& f = fns[i];
        DeviceConfigFunction d;
        uint64_t slot = field(f, "slot", json::value_t::number_unsigned, path).get<uint64_t>();
        if (slot < 1 || slot > kMaxSlot)
            throw InputError("device config: " + path + "/slot " + std::to_string(slot) +
                             " is outside 1.." + std::to_string(kMaxSlot));
        d.slot = static_cast<uint32_t>(slot);
        if (!slots.insert(d.slot).second)
            throw InputError("device config: " + path + "/slot " + std::to_string(slot) +
                             " appears twice");
        d.name = text(f, "name", path);
        d.control = text(f, "control", path);
        d.hash = text(f, "hash", path);
        d.program = text(f, "program", path);
        d.object = base64_decode(text(f, "object_base64", path), path + "/object_base64");
        if (fnv1a_hex(d.object) != d.hash)
            throw InputError("device config: " + path + "/hash does not match the object");
        d.p4info = field(f, "p4info", json::value_t::object, path);
        d.p4runtime_info = field(f, "p4runtime_info", json::value_t::object, path);
        if (f.contains("entries")) {
            const json& entries = field(f, "entries", json::value_t::array, path);
            for (size_t k = 0; k < entries.size(); ++k)
                d.entries.push_back(
                    entry_from_json(entries[k], path + "/entries/" + std::to_string(k)));
        }
        c.functions.push_back(std::move(d));
    }
    return c;
}

}  // namespace chima::p4
