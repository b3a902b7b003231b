// The devices of an emulated network (chima-net): each switch is the CHIMA switch pipeline
// and each endpoint the host client, both pinned under /sys/fs/bpf/chima/<net>/<node>/ and
// reopened from there; containers run through this machine's container backends. The only
// code above bpf/ and emulation/ that knows where the pins are.
#pragma once

#include <memory>
#include <string>

#include "chima/container/backend.hpp"
#include "chima/device/host_device.hpp"
#include "chima/device/registry.hpp"
#include "chima/model/topology.hpp"

namespace chima::device {

// The devices of network `net` built from `topology` (which endpoints are compute hosts:
// their own addresses live on their bridge). Nothing is opened until first used; a node
// whose pins are missing is a RuntimeError then ("is the network up?"). Container backends
// are made once per kind with `containers` and shared by every host.
std::unique_ptr<DeviceRegistry> open_emulated_devices(const std::string& net,
                                                      const Topology& topology,
                                                      const container::BackendOptions& containers);

// The two factories open_emulated_devices is made of, for a registry that mixes the
// emulated network's nodes with devices reached another way (remote/network_devices.hpp).
// The host factory owns the container backends its hosts share.
DeviceRegistry::SwitchFactory emulated_switches(const std::string& net);
DeviceRegistry::HostFactory emulated_hosts(const std::string& net, const Topology& topology,
                                           const container::BackendOptions& containers);

// Where a host's parts are on its machine. In the emulated network every host is a
// namespace named after the network (chima.<net>.<node>) with its functions' namespaces
// beside it and its bridge br0; on a machine of its own (chima-agent without --net) the
// host is the agent's namespace under a name the agent gives it, and the bridge is the
// operator's.
struct HostPlace {
    std::string netns;                  // the host's namespace: a name under /run/netns
    std::string function_netns_prefix;  // a function's namespace is prefix + its name
    std::string bridge;                 // where function ports join (bridged hosts)
    std::string uplink;                 // the host's interface toward its switch
    // A compute host: its own address is on `bridge` (with `uplink` a port of it), else on
    // `uplink`.
    bool bridged = false;
};

// The place chima-net gives node `node` of network `net`.
HostPlace emulated_host_place(const std::string& net, const std::string& node, bool bridged);

// One host whose client is pinned at `pin_dir` (chima-agent's host role pins its own): the
// same device as open_emulated_devices gives, alone, at `place`. The container backends
// are made with `containers` and owned by the device.
std::unique_ptr<HostDevice> open_ebpf_host(const std::string& name, const std::string& pin_dir,
                                           const HostPlace& place,
                                           const container::BackendOptions& containers);

}  // namespace chima::device
