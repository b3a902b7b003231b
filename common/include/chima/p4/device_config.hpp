// The p4_device_config chima-compile writes per switch and the P4Runtime agent accepts in
// SetForwardingPipelineConfig (man/chima-formats.5, DEVICE CONFIG): the template's identity
// and the functions by slot, each with its BPF object (base64) and chima-p4info-1 JSON.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "chima/p4/entries.hpp"

namespace chima::p4 {

inline constexpr const char* kDeviceConfigFormat = "chima-device-config-1";

struct DeviceConfigFunction {
    uint32_t slot = 0;
    std::string name;       // "chain/function" of the deployment
    std::string control;    // the P4 control
    std::string hash;       // content hash of the object (16 hex digits)
    std::string program;    // the object's TC program ("chima_function")
    std::string object;     // the BPF object's bytes
    nlohmann::json p4info;  // chima-p4info-1 (maps and byte layouts)
    // Its P4Runtime P4Info at this slot (names ChimaIngress.functions.fn_<slot>.*), so the
    // agent maps P4Runtime names to this function's maps without a P4 front end.
    nlohmann::json p4runtime_info;
    // The deployment's entries for its tables (by chima-p4info-1 names, keys in P4 order):
    // the agent writes them, after the tables' const entries, before the slot serves, so no
    // packet meets the function with empty tables. A change of entries changes the function.
    std::vector<EntrySpec> entries;
};

struct DeviceConfig {
    std::string template_name;  // "chima.p4"
    std::string template_hash;  // content hash of the template text (16 hex digits)
    std::vector<DeviceConfigFunction> functions;  // by slot, ascending
};

nlohmann::json to_json(const DeviceConfig& config);

// InputError naming the JSON path of what is wrong: format, a slot outside 1..63 or twice,
// a field missing or of the wrong type, an object that is not base64, a hash that does not
// match the object's bytes. A function's `entries` may be absent (none).
DeviceConfig device_config_from_json(const nlohmann::json& j);

// One entry of a function's `entries` in the device config: {table, keys: [{value, mask,
// prefix_len, wildcard}], action, params, priority}; the reader names the JSON path of what
// is wrong.
nlohmann::json entry_to_json(const EntrySpec& entry);
EntrySpec entry_from_json(const nlohmann::json& j, const std::string& path);

}  // namespace chima::p4
