// DeviceRegistry: the devices of one network, each opened once (on first use) and shared
// by every caller of a run, from any thread. What a device is comes from the factories:
// open_emulated_devices (device/ebpf_devices.hpp) for the emulated network's eBPF pins,
// a memory double (device/memory_devices.hpp) in tests.
//
//   auto devices = device::open_emulated_devices("lab", topology, backend_options);
//   devices->switch_device("s0").clear_slot(3);
//   devices->host_device("client").set_flow(src, dst, stack);
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "chima/device/host_device.hpp"
#include "chima/device/switch_device.hpp"

namespace chima::device {

class DeviceRegistry {
  public:
    using SwitchFactory = std::function<std::unique_ptr<SwitchDevice>(const std::string& node)>;
    using HostFactory = std::function<std::unique_ptr<HostDevice>(const std::string& node)>;

    DeviceRegistry(SwitchFactory switches, HostFactory hosts)
        : make_switch_(std::move(switches)), make_host_(std::move(hosts)) {}
    DeviceRegistry(const DeviceRegistry&) = delete;
    DeviceRegistry& operator=(const DeviceRegistry&) = delete;

    // The device of node `name`, opened now when this is the first use (the factory's
    // errors propagate and nothing is kept). The reference stays valid as long as the
    // registry.
    SwitchDevice& switch_device(const std::string& name);
    HostDevice& host_device(const std::string& name);

  private:
    std::mutex mutex_;
    SwitchFactory make_switch_;
    HostFactory make_host_;
    std::map<std::string, std::unique_ptr<SwitchDevice>> switches_;
    std::map<std::string, std::unique_ptr<HostDevice>> hosts_;
};

}  // namespace chima::device
