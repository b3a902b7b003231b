// chima-install's logic for container functions on the compute hosts (device::HostDevice:
// the namespaces, ports and containers below are the emulated network's, see
// device/ebpf_devices.hpp; `net` names the instances).
//
// Each container function gets its own network namespace chima.<net>.fn-<chain>-<function>
// (PlacedFunction::netns()), joined to its host's bridge br0 by a veth pair: the host end is
// "f<function_id>", the function end is eth0 with the function's MAC and IPv4/24, offloads
// off on both ends (the switch pipeline moves headers), and permanent neighbour entries for
// every endpoint and function address of the deployment. The function then runs there as a
// container (or process) named chima-<net>-<chain>-<function>, with CHIMA_NEXT set to the next
// container function of the chain (none for the last one).
//
// Make before break: against the previous installed.json, an unchanged function (same host,
// image, environment) is left running; new and moved ones are started first, and only once
// they run are the moved and removed ones taken down. A moved function's new instance
// cannot share its old netns and container name while the old one still serves, so
// instances alternate between the plain names and the same names with a "-b" suffix.
//
// Build contexts: a function's image comes from its spec.build directory when that holds a
// Containerfile and the binary named after the function; otherwise from the context CMake
// builds for the example functions, <functions dir>/<basename of spec.build> (functions dir:
// $CHIMA_BUILD/functions, else the build tree chima-install was built in). spec.image (a
// prebuilt image reference) is used as it is with the podman/docker backends.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "chima/container/backend.hpp"
#include "chima/device/registry.hpp"
#include "chima/model/deployment.hpp"
#include "chima/model/installed.hpp"

namespace chima::deploy {

struct ContainerOptions {
    std::string backend = "auto";  // podman | docker | process | auto
    std::string functions_dir;     // empty: default_functions_dir()
};

struct ContainerChanges {
    size_t started = 0;    // instances started now
    size_t unchanged = 0;  // left running
    size_t removed = 0;    // old instances taken down (moved or no longer deployed)
};

// $CHIMA_BUILD/functions when CHIMA_BUILD is set, else the build tree's functions dir.
std::string default_functions_dir();

// The build context of a container function (see the header comment); InputError naming
// the function's source mark when none of the candidates holds a Containerfile.
std::string resolve_build_context(const PlacedFunction& f, const std::string& functions_dir);

// Checks what starting (`starting`) or removing `d`'s container functions needs before
// anything is touched: when starting, every function's build context (unless it names an
// image a container backend runs); always, that
// `previous` (read from `previous_file`) describes network `net` with its container
// functions on hosts of `d`'s topology. InputError otherwise.
void check_container_inputs(const Deployment& d, const std::string& net,
                            const std::optional<Installed>& previous,
                            const std::string& previous_file, const ContainerOptions& options,
                            bool starting = true);

// Instance (container / process) name of a function, given its netns suffix ("" or "-b").
std::string instance_name(const std::string& net, const PlacedFunction& f,
                          const std::string& suffix = {});

// What starting a deployment's container functions did, for the caller to finish (make
// before break) or undo.
struct ContainerStart {
    // The "functions" entries of installed.json for the new deployment (type Container).
    std::vector<InstalledFunction> functions;
    std::vector<InstalledFunction> started;  // entries of the instances started now
    std::vector<InstalledFunction> retire;   // previous entries the new ones replace or drop
};

// The start half of make before break: every container function of `d` that is new or
// changed gets a new instance, all in parallel (one thread per function), each up and
// serving (its process listens on its UDP port) when this returns; unchanged running ones
// are kept. Nothing old is touched. On a failure what this call started is removed again
// and the exception propagates (`result` is then empty).
void start_container_functions(const Deployment& d, const std::string& net,
                               device::DeviceRegistry& devices,
                               const std::optional<Installed>& previous,
                               const ContainerOptions& options, ContainerStart& result,
                               ContainerChanges& changes);

// What start_container_functions may create, known before it starts anything (a crash-safe
// caller records it first): for every container function of `d`, the instance and netns a
// new instance of it would take -- never those `previous` records -- on its node, through
// `backend` ("auto" resolved here). Entries as in installed.json (container part).
std::vector<InstalledFunction> planned_instances(const Deployment& d, const std::string& net,
                                                 const std::optional<Installed>& previous,
                                                 const std::string& backend);

// The break half: removes the given instances (installed.json entries, each through the
// backend it records) and their netns, in parallel. Also undoes a start (its `started`).
// Returns how many were given.
size_t remove_container_instances(device::DeviceRegistry& devices,
                                  const std::vector<InstalledFunction>& instances);

// Both halves at once (chima-install): start, then remove the instances retired. Returns
// the "functions" entries of installed.json for the container functions.
std::vector<InstalledFunction> install_container_functions(const Deployment& d,
                                                           const std::string& net,
                                                           device::DeviceRegistry& devices,
                                                           const std::optional<Installed>& previous,
                                                           const ContainerOptions& options,
                                                           ContainerChanges& changes);

// Removes every container function of deployment `d` in `net` (instances of either name,
// their netns); with `previous`, also the instances it records. Returns how many went.
size_t remove_container_functions(const Deployment& d, const std::string& net,
                                  device::DeviceRegistry& devices,
                                  const std::optional<Installed>& previous,
                                  const ContainerOptions& options);

// A container function removed on purpose (a relocation retiring it, an install replacing
// it) is announced before it is stopped, so that a health watch reports its end as
// "function-retired" and not as a failure: the file /run/chima/retiring/<instance> holds its
// container id. Announcing never fails (a tool without /run/chima only logs); markers older
// than ten minutes are removed then. take_retiring says whether the exit of instance `id`
// was announced, and forgets it.
void announce_retiring(const std::string& instance, const std::string& id);
bool take_retiring(const std::string& instance, const std::string& id);

// `--watch`: watches the container functions of `installed` (each function through its
// host's backend of its own kind) until SIGINT or SIGTERM (blocked in the
// calling thread and waited for). Each exit appends one JSON line
// {"type":"function-exit","chain","function","instance","backend","exit_code","ts_ns"} to
// `events` (a file path; empty: stdout); restarts follow `policy` and are reported as
// "function-restart" / "function-restart-failed" lines. With `installed_file`, every event
// also updates the function's entry there (state, exit_code, id, pid), atomically.
// With `follow` (an installed.json another tool rewrites, e.g. chima-relocate in the
// loop), that file is looked at every 100 ms and, when it changed, the instances it lists
// are watched from then on (new ones added, gone ones dropped).
void watch_container_functions(device::DeviceRegistry& devices, const Installed& installed,
                               container::RestartPolicy policy, const std::string& events,
                               const std::optional<std::string>& installed_file,
                               const std::optional<std::string>& follow = std::nullopt);

// `--emit-compose DIR`: one compose file per host for the deployment's container functions.
std::vector<std::string> emit_compose(const Deployment& d, const std::string& net,
                                      const std::string& dir, const ContainerOptions& options);

}  // namespace chima::deploy
