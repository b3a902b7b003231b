#include "chima/device/registry.hpp"

namespace chima::device {

namespace {

// The entry of `name` in `opened`, made by `make` when there is none yet.
template <class Device, class Factory>
Device& open_once(std::map<std::string, std::unique_ptr<Device>>& opened, const Factory& make,
                  const std::string& name) {
    auto it = opened.find(name);
    if (it == opened.end())
        it = opened.emplace(name, make(name)).first;
    return *it->second;
}

}  // namespace

// Opening holds the lock: two threads asking for the same node open it once. Devices open
// in microseconds (a few pinned objects); the lock is not held while they are used.
SwitchDevice& DeviceRegistry::switch_device(const std::string& name) {
    std::lock_guard lock(mutex_);
    return open_once(switches_, make_switch_, name);
}

HostDevice& DeviceRegistry::host_device(const std::string& name) {
    std::lock_guard lock(mutex_);
    return open_once(hosts_, make_host_, name);
}

}  // namespace chima::device
