// The forwarding pipeline of a CHIMA switch from the P4Runtime client's side: its P4Info
// (the template's committed alone on a device that has none), one slot of its config
// changed and pushed with RECONCILE_AND_COMMIT (VERIFY_AND_COMMIT, logged as a full reload,
// where the device answers UNIMPLEMENTED), and what a slot serves.
#pragma once

#include <cstdint>
#include <optional>

#include "chima/device/switch_device.hpp"
#include "chima/p4/device_config.hpp"
#include "chima/p4/p4runtime_info.hpp"
#include "p4runtime_connection.hpp"

namespace chima::remote::detail {

// A function as the device config carries it at `slot`, and its P4Runtime entities there.
struct SlotFunctionConfig {
    p4::DeviceConfigFunction config;
    p4::P4rtEntities entities;
};

// Reads the object file, checks the entries against the function's tables and derives the
// P4Runtime view (InputError for a bad function or an entry that does not fit).
SlotFunctionConfig slot_function_config(uint32_t slot, const device::FunctionLoad& function);

// The device's P4Info; a device without a pipeline config gets the endpoint's template
// P4Info committed alone (RuntimeError when the endpoint has none).
::p4::config::v1::P4Info device_p4info(P4RuntimeConnection& connection);

// The device's config with `slot` serving `function` (nullptr: empty), pushed. The new
// P4Info, or nullopt when nothing changed (emptying an empty slot).
std::optional<::p4::config::v1::P4Info> change_slot(P4RuntimeConnection& connection, uint32_t slot,
                                                    const SlotFunctionConfig* function);

// What the device config says `slot` serves, as an id (a hash of its object, program and
// entries: what makes the agent swap the slot), 0 when empty.
uint32_t slot_function_id(P4RuntimeConnection& connection, uint32_t slot);

}  // namespace chima::remote::detail
