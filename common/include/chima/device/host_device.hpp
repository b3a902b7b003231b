// HostDevice: what the tools do to a compute host or traffic endpoint, in value types only:
// the label stacks its client pushes, the ports and namespaces of the functions it hosts,
// the containers they run in (through a container backend of the host) and their health.
// An agent on a remote host is one more implementation; no caller changes.
// docs/architecture.md describes the seam.
//
//   auto& host = devices.host_device("h1");
//   host.create_function_netns("fn-c-toupper");
//   host.start_function("podman", spec);          // spec.netns: the function's netns name
//   host.plumb_function_port(port);              // veth to the host, address, neighbours
//   host.set_flow(src, dst, stack);
//
// Function namespaces are named as PlacedFunction::netns() names them (plus the instance's
// suffix); the device knows where they live. Errors: InputError for bad arguments,
// RuntimeError when the device refuses.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "chima/container/backend.hpp"
#include "chima/container/health.hpp"
#include "chima/label_stack.hpp"
#include "chima/units.hpp"

namespace chima::device {

struct Neighbour {
    Ipv4 ip;
    Mac mac;
};

// A function's port on its host: its end (eth0 in its namespace) with the function's
// addresses, the host's end on the host's bridge, and permanent neighbour entries.
struct FunctionPort {
    std::string netns;       // the function's namespace
    uint32_t function_id;    // names the host's end
    bool alternate = false;  // the second instance's port (beside the first, make before break)
    Mac mac;
    Ipv4 ip;
    std::vector<Neighbour> neighbours;
};

class HostDevice {
  public:
    virtual ~HostDevice() = default;
    virtual const std::string& name() const = 0;

    // Label stacks of flows (src, dst): each set replaces the stack in one step.
    virtual void set_flow(Ipv4 src, Ipv4 dst, const LabelStack& stack) = 0;
    virtual void delete_flow(Ipv4 src, Ipv4 dst) = 0;  // no error when not managed
    virtual std::optional<LabelStack> flow(Ipv4 src, Ipv4 dst) const = 0;

    // Permanent neighbour entries of the host's own stack (addresses reached without ARP).
    virtual void add_neighbours(const std::vector<Neighbour>& entries) = 0;

    // Function namespaces and ports. create_function_netns: RuntimeError when the host is
    // not up or the namespace exists. remove_function_netns is idempotent.
    virtual bool has_function_netns(const std::string& netns) const = 0;
    virtual void create_function_netns(const std::string& netns) = 0;
    virtual void plumb_function_port(const FunctionPort& port) = 0;
    virtual void remove_function_netns(const std::string& netns) = 0;
    // Waits until something in the namespace listens on the UDP port (the function
    // serves); false when nothing does within `limit`.
    virtual bool wait_serving(const std::string& netns, uint16_t port,
                              std::chrono::milliseconds limit) const = 0;

    // Container functions through the host's backend of `kind` (podman | docker | process).
    // prepare_backend makes that backend ready (once) and throws when it cannot work here,
    // so a caller can find out before it starts anything.
    virtual void prepare_backend(const std::string& kind) = 0;
    // start_function runs spec (spec.netns: a function namespace of this host, see above).
    virtual container::Image ensure_image(const std::string& kind,
                                          const container::ImageSpec& image) = 0;
    virtual container::Instance start_function(const std::string& kind,
                                               const container::FunctionSpec& spec) = 0;
    virtual void stop_function(const std::string& kind, const std::string& instance) = 0;
    virtual container::Instance inspect_function(const std::string& kind,
                                                 const std::string& instance) = 0;
    virtual std::vector<container::Instance> list_functions(const std::string& kind,
                                                            const std::string& label_key,
                                                            const std::string& label_value) = 0;
    // Health events (exits, restarts) of the instances the returned watcher is told to watch.
    virtual std::unique_ptr<container::HealthWatcher> watch_health(
        const std::string& kind, container::HealthWatcher::Sink sink) = 0;
};

}  // namespace chima::device
