// The p4_device_config chima-agent takes in SetForwardingPipelineConfig: the eBPF switch's
// template pipeline is always there, so the device config is the set of P4 functions and
// the slots they serve, each with its BPF object (base64) and its chima-p4info-1 JSON.
// chima-compile writes it per switch (build/p4/<switch>.device-config.json); the format is
// in chima-formats(5):
//
//   {"format": "chima-device-config-1",
//    "functions": [{"slot": 3, "name": "fw", "control": "firewall", "program": "",
//                   "hash": "<fnv1a of the object>", "object_base64": "...",
//                   "p4info": {...chima-p4info-1...}}]}
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace chima::p4rt {

inline constexpr const char* kDeviceConfigFormat = "chima-device-config-1";

struct DeviceFunction {
    uint32_t slot = 0;
    std::string name;     // the function's name (the one rule of names)
    std::string control;  // its P4 control
    std::string program;  // "" = the object's only TC program
    std::string hash;     // fnv1a_hex of the object bytes
    std::string object;   // the BPF object bytes
    nlohmann::json p4info;  // chima-p4info-1

    // Same function in the same slot: a RECONCILE keeps it serving.
    bool same_as(const DeviceFunction& o) const {
        return slot == o.slot && hash == o.hash && program == o.program && name == o.name;
    }
};

struct DeviceConfig {
    std::map<uint32_t, DeviceFunction> functions;  // by slot
};

// Parses and checks everything (InputError naming the JSON pointer): the format, slots
// 1..CHIMA_MAX_SLOTS-1 and unique, names, base64 that decodes to an ELF BPF object whose
// hash matches, a chima-p4info-1 P4Info. Empty bytes: no functions.
DeviceConfig parse_device_config(const std::string& bytes);

// The document again (what GetForwardingPipelineConfig returns is the bytes as pushed;
// this is for tools and tests that build one).
std::string device_config_bytes(const DeviceConfig& config);

}  // namespace chima::p4rt
