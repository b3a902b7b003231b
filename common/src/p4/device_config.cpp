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

}  // namespace

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
                       {"p4runtime_info", f.p4runtime_info}});
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
        c.functions.push_back(std::move(d));
    }
    return c;
}

}  // namespace chima::p4
