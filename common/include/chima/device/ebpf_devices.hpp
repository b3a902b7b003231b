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

// One host of network `net` whose client is pinned at `pin_dir` (chima-agent's host role
// pins its own): the same device as open_emulated_devices gives, alone. The container
// backends are made with `containers` and owned by the device.
std::unique_ptr<HostDevice> open_ebpf_host(const std::string& net, const std::string& name,
                                           const std::string& pin_dir, bool bridged,
                                           const container::BackendOptions& containers);

}  // namespace chima::device
