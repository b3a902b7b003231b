// chima-install's logic for P4 functions on the switches (device::SwitchDevice): each function's
// program into its slot, touching only what changed since the previous installed.json.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "chima/deploy/artifacts.hpp"
#include "chima/device/registry.hpp"
#include "chima/model/deployment.hpp"
#include "chima/model/installed.hpp"

namespace chima::deploy {

struct SlotChanges {
    size_t installed = 0;  // slots loaded now
    size_t unchanged = 0;  // already serving the same object
    size_t cleared = 0;    // old slots emptied
};

// A function slot of a switch.
struct SlotRef {
    std::string function;  // chain/name, for the log
    std::string node;
    uint32_t slot = 0;
};

// What loading a deployment's P4 functions did, for the caller to finish or undo.
struct SlotLoad {
    std::vector<InstalledFunction> functions;  // installed.json entries (P4 part)
    std::vector<SlotRef> loaded;  // slots (re)loaded now, filled as it goes (also on a throw)
    std::vector<SlotRef> stale;   // slots of `previous` that `d` no longer uses
};

// Checks what loading `d`'s P4 functions needs before anything is loaded: every P4
// function has an artifact (InputError naming `artifacts_file`), its P4Info reads and its
// table entries resolve; a p4runtime switch is a RuntimeError (not supported yet).
void check_p4_inputs(const Deployment& d, const Artifacts& artifacts,
                     const std::string& artifacts_file);

// The make half: loads every P4 function of `d` whose slot does not already serve the same
// object and entries (per `previous`, an earlier installed.json). Empties nothing.
void load_p4_functions(const Deployment& d, const Artifacts& artifacts,
                       device::DeviceRegistry& devices, const std::optional<Installed>& previous,
                       SlotLoad& result, SlotChanges& changes);

// The break half: empties the given slots. Returns how many.
size_t clear_p4_slots(device::DeviceRegistry& devices, const std::vector<SlotRef>& slots);

// Undoing a load of other functions into a network that serves `d`: the given slots that
// `d` does not use are emptied, and every function of `d` whose slot was reloaded gets its
// own object back (per `installed`, the installed.json of `d`; unchanged slots stay).
void restore_p4_slots(const Deployment& d, const Artifacts& artifacts,
                      device::DeviceRegistry& devices, const std::optional<Installed>& installed,
                      const std::vector<SlotRef>& loaded);

// Both halves at once (chima-install): load, then empty the slots nothing uses any more.
// Returns the "functions" entries of the new installed.json (P4 part).
std::vector<InstalledFunction> install_p4_functions(const Deployment& d, const Artifacts& artifacts,
                                                    device::DeviceRegistry& devices,
                                                    const std::optional<Installed>& previous,
                                                    SlotChanges& changes);

}  // namespace chima::deploy
