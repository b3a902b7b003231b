// The devices of an emulated network (chima-net): each switch is the CHIMA switch pipeline
// and each endpoint the host client, both pinned under /sys/fs/bpf/chima/<net>/<node>/ and
// reopened from there; containers run through this machine's container backends. The only
// code above bpf/ and emulation/ that knows where the pins are.
#pragma once

#include <memory>
#include <string>

#include "chima/container/backend.hpp"
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

}  // namespace chima::device
