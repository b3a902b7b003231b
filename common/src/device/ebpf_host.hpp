// The HostDevice of an endpoint or compute host on this machine: its pinned host client (opened on
// first use, then kept), its namespace and the function namespaces beside it, and this machine's
// container backends.
#pragma once

#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "chima/bpf/host_client.hpp"
#include "chima/device/ebpf_devices.hpp"
#include "chima/device/host_device.hpp"

namespace chima::device {

// Container backends by kind, made once each and shared by every host and thread.
class ContainerBackends {
  public:
    explicit ContainerBackends(container::BackendOptions options) : options_(std::move(options)) {}
    // The backend of `kind`, made on first use; a kind that could not be made throws the
    // same error again without trying again.
    container::Backend& get(const std::string& kind);

  private:
    container::BackendOptions options_;
    std::mutex mutex_;
    std::map<std::string, std::unique_ptr<container::Backend>> backends_;
    std::map<std::string, std::exception_ptr> failed_;
};

class EbpfHost : public HostDevice {
  public:
    EbpfHost(std::string name, std::string pin_dir, HostPlace place, ContainerBackends& backends);

    const std::string& name() const override { return name_; }
    void set_flow(Ipv4 src, Ipv4 dst, const LabelStack& stack) override;
    void delete_flow(Ipv4 src, Ipv4 dst) override;
    std::optional<LabelStack> flow(Ipv4 src, Ipv4 dst) const override;
    void add_neighbours(const std::vector<Neighbour>& entries) override;

    bool has_function_netns(const std::string& netns) const override;
    void create_function_netns(const std::string& netns) override;
    void plumb_function_port(const FunctionPort& port) override;
    void remove_function_netns(const std::string& netns) override;
    bool wait_serving(const std::string& netns, uint16_t port,
                      std::chrono::milliseconds limit) const override;

    void prepare_backend(const std::string& kind) override { backends_.get(kind); }
    container::Image ensure_image(const std::string& kind,
                                  const container::ImageSpec& image) override;
    container::Instance start_function(const std::string& kind,
                                       const container::FunctionSpec& spec) override;
    void stop_function(const std::string& kind, const std::string& instance) override;
    container::Instance inspect_function(const std::string& kind,
                                         const std::string& instance) override;
    std::vector<container::Instance> list_functions(const std::string& kind,
                                                    const std::string& label_key,
                                                    const std::string& label_value) override;
    std::unique_ptr<container::HealthWatcher> watch_health(
        const std::string& kind, container::HealthWatcher::Sink sink) override;

  private:
    // The client, opened by the first caller (any thread).
    bpf::HostClient& client() const;
    std::string netns_path_name(const std::string& function_netns) const;

    std::string name_, pin_dir_;
    HostPlace place_;
    ContainerBackends& backends_;
    mutable std::mutex client_mutex_;
    mutable std::optional<bpf::HostClient> client_;
};

}  // namespace chima::device
