#include "chima/agent/host_node.hpp"

#include <net/if.h>

#include <spdlog/spdlog.h>

#include "chima/agent/host_api.hpp"
#include "chima/bpf/host_client.hpp"
#include "chima/device/ebpf_devices.hpp"
#include "chima/error.hpp"

namespace chima::agent {

namespace fs = std::filesystem;

HostNode::HostNode(Options options) : options_(std::move(options)) {
    pin_dir_ = fs::path("/sys/fs/bpf/chima/agent") / options_.name / "host";
    uplink_ifindex_ = static_cast<int>(if_nametoindex(options_.uplink.c_str()));
    if (uplink_ifindex_ == 0)
        throw RuntimeError("--uplink: no interface " + options_.uplink + " in this namespace");
    if (fs::exists(pin_dir_)) {
        // A kept client: adopt it as it is (its flows keep their stacks); attaching again
        // replaces the filter with the same programs, so no packet sees a gap.
        auto client = bpf::HostClient::open(pin_dir_);
        client.attach(uplink_ifindex_);
        adopted_ = true;
        spdlog::info("adopted the kept host client at {}", pin_dir_.string());
    } else {
        auto client = bpf::HostClient::create(pin_dir_);
        try {
            client.attach(uplink_ifindex_);
        } catch (...) {
            bpf::HostClient::remove(pin_dir_);
            throw;
        }
        spdlog::info("host client on {}, pinned at {}", options_.uplink, pin_dir_.string());
    }
    device_ = device::open_ebpf_host(options_.net, options_.name, pin_dir_.string(),
                                     options_.bridged, container::BackendOptions{});
    api_ = std::make_unique<HostApiServer>(*device_, HostApiOptions{});
    api_->start(options_.api.host, options_.api.port, options_.tls);
}

HostNode::~HostNode() {
    if (!released_) {
        try {
            release(false);
        } catch (const std::exception& e) {
            spdlog::error("releasing the host client: {}", e.what());
        }
    }
}

nlohmann::json HostNode::status() const {
    ListenAddress at = options_.api;
    at.port = api_->port();
    return {{"api", at.str()},
            {"uplink", options_.uplink},
            {"adopted", adopted_},
            {"tls", options_.tls.has_value()}};
}

void HostNode::release(bool keep) {
    released_ = true;
    api_->stop();
    if (keep) {
        spdlog::info("kept the host client attached at {}", pin_dir_.string());
        return;
    }
    bpf::HostClient::open(pin_dir_).detach(uplink_ifindex_);
    bpf::HostClient::remove(pin_dir_);
    std::error_code ec;
    fs::remove(pin_dir_.parent_path(), ec);  // the node's directory, when empty
}

}  // namespace chima::agent
