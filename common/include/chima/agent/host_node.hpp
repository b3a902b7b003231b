// The host role of chima-agent: the host client (bpf/client) on the node's uplink, owned by
// the agent, and the host REST API (the paper's CHIMAclient) over it. With `keep` the client
// stays attached and pinned at shutdown, and the next agent adopts it: flows keep their
// label stacks through the restart.
//
// A host of an emulated network (net) lives where chima-net put it. A host of its own (a
// machine, no net) is the agent's namespace, named chima-agent.<name> while the agent runs
// so that function namespaces (chima-agent.<name>.<function>) and the container engine can
// be pointed at it; a compute host's functions join `bridge`, which the agent makes (the
// uplink its port, marked as the agent's) when it is missing and the uplink carries no
// address, and removes again when it stops without keep.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "chima/agent/listen_address.hpp"
#include "chima/device/ebpf_devices.hpp"
#include "chima/device/host_device.hpp"
#include "chima/net/netns.hpp"

namespace chima::agent {

class HostApiServer;

class HostNode {
  public:
    struct Options {
        std::string name;    // pins under /sys/fs/bpf/chima/agent/<name>/host
        std::string uplink;  // the interface the client runs on (in this namespace)
        std::string net;     // the emulated network the node belongs to; "": a host of its own
        bool bridged = false;
        std::string bridge;  // a host of its own: its functions' bridge (implies bridged)
        ListenAddress api;
        std::optional<TlsFiles> tls;
    };

    explicit HostNode(Options options);
    HostNode(const HostNode&) = delete;
    HostNode& operator=(const HostNode&) = delete;
    ~HostNode();

    nlohmann::json status() const;
    // Stops the API; keep: leaves the client attached and pinned (and a host of its own its
    // namespace name and bridge), else removes them.
    void release(bool keep);

  private:
    void open(const device::HostPlace& place);
    void remove_made_bridge() const;

    Options options_;
    device::HostPlace place_;
    std::optional<net::NetNs> own_netns_;  // a host of its own: its namespace's name
    std::filesystem::path pin_dir_;
    int uplink_ifindex_ = 0;
    bool adopted_ = false, released_ = false;
    std::unique_ptr<device::HostDevice> device_;
    std::unique_ptr<HostApiServer> api_;
};

}  // namespace chima::agent
