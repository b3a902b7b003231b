// The P4Runtime view of a function slot, computed on the client from what a FunctionLoad
// carries (no P4 source): the function's entities at its slot derived from its
// chima-p4info-1 document, and the switch's P4Info with one slot changed (p4's generator
// assigns the ids over the whole, as p4c would for the merged program).
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "chima/p4/p4runtime_info.hpp"
#include "p4/config/v1/p4info.pb.h"

namespace chima::remote {

// The entities of the function whose chima-p4info-1 document is `chima_p4info` at `slot`
// (names ChimaIngress.functions.fn_<slot>.*). Null or no tables: none. What the document
// does not record is left at p4c's defaults: no action scopes, no const default action.
p4::P4rtEntities function_entities(const nlohmann::json& chima_p4info, uint32_t slot);

// The device's P4Info with slot `slot`'s entities replaced by `function` (none: the slot
// emptied), ids assigned again over the whole.
::p4::config::v1::P4Info p4info_with_slot(const ::p4::config::v1::P4Info& device, uint32_t slot,
                                          const p4::P4rtEntities& function);

// The protobuf JSON mapping <-> the message (RuntimeError when it does not parse).
::p4::config::v1::P4Info p4info_from_json(const nlohmann::json& j);
nlohmann::json p4info_to_json(const ::p4::config::v1::P4Info& info);

}  // namespace chima::remote
