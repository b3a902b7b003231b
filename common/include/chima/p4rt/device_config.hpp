// The p4_device_config chima-agent takes in SetForwardingPipelineConfig: the eBPF switch's
// template pipeline is always there, so the device config is the set of P4 functions and
// the slots they serve (chima-compile writes it per switch; the format and its reader are
// p4/device_config.hpp, chima-formats(5) DEVICE CONFIG). Here: what the agent checks on top
// (JSON at all, objects that are BPF objects) and the view by slot.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "chima/p4/device_config.hpp"

namespace chima::p4rt {

using DeviceFunction = p4::DeviceConfigFunction;

// The same function in the same slot with the same initial entries: a RECONCILE keeps it
// serving. Other entries are a new function (fresh maps, swapped in with the entries).
bool same_function(const DeviceFunction& a, const DeviceFunction& b);

struct DeviceConfig {
    std::map<uint32_t, DeviceFunction> functions;  // by slot
};

// InputError naming the JSON path of what is wrong (see p4::device_config_from_json), or
// the function whose object is not an ELF BPF object. Empty bytes: no functions.
DeviceConfig parse_device_config(const std::string& bytes);

}  // namespace chima::p4rt
