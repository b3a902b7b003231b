#include "chima/device/ebpf_devices.hpp"

#include <set>

#include "chima/emulation/emulated_network.hpp"
#include "chima/net/names.hpp"
#include "ebpf_host.hpp"
#include "ebpf_switch.hpp"

namespace chima::device {

DeviceRegistry::SwitchFactory emulated_switches(const std::string& net) {
    return [net](const std::string& node) -> std::unique_ptr<SwitchDevice> {
        return std::make_unique<EbpfSwitch>(node, emulation::node_pin_dir(net, node));
    };
}

DeviceRegistry::HostFactory emulated_hosts(const std::string& net, const Topology& topology,
                                           const container::BackendOptions& containers) {
    // The backends live as long as the hosts that use them: owned by the factory, which the
    // registry keeps.
    auto backends = std::make_shared<ContainerBackends>(containers);
    std::set<std::string> compute_hosts;
    for (const auto& h : topology.hosts)
        compute_hosts.insert(h.name);
    return [net, backends, compute_hosts](const std::string& node) -> std::unique_ptr<HostDevice> {
        return std::make_unique<EbpfHost>(
            node, emulation::node_pin_dir(net, node),
            emulated_host_place(net, node, compute_hosts.count(node) > 0), *backends);
    };
}

std::unique_ptr<DeviceRegistry> open_emulated_devices(const std::string& net,
                                                      const Topology& topology,
                                                      const container::BackendOptions& containers) {
    return std::make_unique<DeviceRegistry>(emulated_switches(net),
                                            emulated_hosts(net, topology, containers));
}

namespace {

// An EbpfHost that owns its container backends.
class OwnedBackendsHost {
  public:
    explicit OwnedBackendsHost(const container::BackendOptions& o) : backends(o) {}
    ContainerBackends backends;
};

class StandaloneHost final : private OwnedBackendsHost, public EbpfHost {
  public:
    StandaloneHost(const std::string& name, const std::string& pin_dir, const HostPlace& place,
                   const container::BackendOptions& containers)
        : OwnedBackendsHost(containers), EbpfHost(name, pin_dir, place, backends) {}
};

}  // namespace

HostPlace emulated_host_place(const std::string& net, const std::string& node, bool bridged) {
    return {net::node_netns(net, node), net::node_netns(net, ""), emulation::kHostBridge,
            emulation::kUplink, bridged};
}

std::unique_ptr<HostDevice> open_ebpf_host(const std::string& name, const std::string& pin_dir,
                                           const HostPlace& place,
                                           const container::BackendOptions& containers) {
    return std::make_unique<StandaloneHost>(name, pin_dir, place, containers);
}

}  // namespace chima::device
