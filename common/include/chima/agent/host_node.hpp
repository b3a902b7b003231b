// The host role of chima-agent: the host client (bpf/client) on the node's uplink, owned by
// the agent, and the host REST API (the paper's CHIMAclient) over it. With `keep` the client
// stays attached and pinned at shutdown, and the next agent adopts it: flows keep their
// label stacks through the restart.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "chima/agent/listen_address.hpp"
#include "chima/device/host_device.hpp"

namespace chima::agent {

class HostApiServer;

class HostNode {
  public:
    struct Options {
        std::string name;    // pins under /sys/fs/bpf/chima/agent/<name>/host
        std::string uplink;  // the interface the client runs on (in this namespace)
        std::string net;     // the emulated network the node belongs to
        bool bridged = false;
        ListenAddress api;
        std::optional<TlsFiles> tls;
    };

    explicit HostNode(Options options);
    HostNode(const HostNode&) = delete;
    HostNode& operator=(const HostNode&) = delete;
    ~HostNode();

    nlohmann::json status() const;
    // Stops the API; keep: leaves the client attached and pinned, else removes it.
    void release(bool keep);

  private:
    Options options_;
    std::filesystem::path pin_dir_;
    int uplink_ifindex_ = 0;
    bool adopted_ = false, released_ = false;
    std::unique_ptr<device::HostDevice> device_;
    std::unique_ptr<HostApiServer> api_;
};

}  // namespace chima::agent
