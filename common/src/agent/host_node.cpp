#include "chima/agent/host_node.hpp"

#include <net/if.h>

#include <spdlog/spdlog.h>

#include "chima/agent/host_api.hpp"
#include "chima/bpf/host_client.hpp"
#include "chima/error.hpp"
#include "chima/net/link.hpp"
#include "chima/process/child_process.hpp"

namespace chima::agent {

namespace fs = std::filesystem;

namespace {

// Marks a bridge the agent made, so that whichever agent of this host stops last without
// --keep removes it (and never an operator's bridge).
std::string bridge_marker(const std::string& node) {
    return "chima-agent " + node;
}

// A host of its own: everything about its bridge is checked before anything changes.
// Returns whether the bridge must be made.
bool check_own_bridge(const std::string& bridge, const std::string& uplink) {
    if (!net::link_exists("", bridge)) {
        auto addresses = net::ipv4_addresses("", uplink);
        if (!addresses.empty()) {
            throw InputError("--bridge " + bridge + ": no such bridge, and the uplink " + uplink +
                             " has the address " + addresses.front() +
                             ", which a bridge port cannot keep: make the bridge yourself (the "
                             "uplink a port of it, its addresses on the bridge) or give an "
                             "uplink without addresses");
        }
        return true;
    }
    auto info = net::link_info("", bridge);
    if (info.kind != "bridge")
        throw InputError("--bridge " + bridge + " is a " +
                         (info.kind.empty() ? std::string("device") : info.kind) +
                         ", not a bridge");
    auto up = net::link_info("", uplink);
    if (up.master != bridge)
        throw InputError("--bridge " + bridge + ": the uplink " + uplink + " is not a port of it" +
                         (up.master.empty() ? "" : " (it is a port of " + up.master + ")"));
    return false;
}

// The bridge of a host of its own, with the uplink its port: the bridge takes the uplink's
// MAC (the address the network knows the host by) and, like chima-net's, does not learn on
// the uplink (frames of a function that hairpin through the switch come back with its MAC).
void make_bridge(const std::string& bridge, const std::string& uplink, const std::string& node) {
    auto up = net::link_info("", uplink);
    process::run_checked({"ip", "link", "add", bridge, "address", up.mac, "type", "bridge"});
    try {
        process::run_checked({"ip", "link", "set", bridge, "alias", bridge_marker(node)});
        process::run_checked({"ip", "link", "set", uplink, "master", bridge});
        process::run_checked(
            {"ip", "link", "set", uplink, "type", "bridge_slave", "learning", "off"});
        process::run_checked({"ip", "link", "set", bridge, "up"});
    } catch (...) {
        process::run({"ip", "link", "del", bridge});
        throw;
    }
}

}  // namespace

HostNode::HostNode(Options options) : options_(std::move(options)) {
    pin_dir_ = fs::path("/sys/fs/bpf/chima/agent") / options_.name / "host";
    uplink_ifindex_ = static_cast<int>(if_nametoindex(options_.uplink.c_str()));
    if (uplink_ifindex_ == 0)
        throw RuntimeError("--uplink: no interface " + options_.uplink + " in this namespace");
    device::HostPlace place;
    bool make_own_bridge = false;
    if (!options_.net.empty()) {
        place = device::emulated_host_place(options_.net, options_.name, options_.bridged);
        place.uplink = options_.uplink;
    } else {
        std::string own = "chima-agent." + options_.name;
        place = {own, own + ".", options_.bridge, options_.uplink, !options_.bridge.empty()};
        if (place.bridged)
            make_own_bridge = check_own_bridge(options_.bridge, options_.uplink);
    }

    // ---- checked: now change things, undoing them if a later step fails
    try {
        if (options_.net.empty()) {
            own_netns_.emplace(net::NetNs::name_current(place.netns));
            if (make_own_bridge) {
                make_bridge(options_.bridge, options_.uplink, options_.name);
                spdlog::info("made bridge {} with the uplink {} as its port", options_.bridge,
                             options_.uplink);
            }
        }
        open(place);
    } catch (...) {
        if (make_own_bridge)
            process::run({"ip", "link", "del", options_.bridge});
        throw;  // own_netns_ drops the name it gave
    }
}

void HostNode::open(const device::HostPlace& place) {
    place_ = place;
    bool made_client = false;
    try {
        if (fs::exists(pin_dir_)) {
            // A kept client: adopt it as it is (its flows keep their stacks); attaching
            // again replaces the filter with the same programs, so no packet sees a gap.
            auto client = bpf::HostClient::open(pin_dir_);
            client.attach(uplink_ifindex_);
            adopted_ = true;
            spdlog::info("adopted the kept host client at {}", pin_dir_.string());
        } else {
            auto client = bpf::HostClient::create(pin_dir_);
            made_client = true;
            client.attach(uplink_ifindex_);
            spdlog::info("host client on {}, pinned at {}", options_.uplink, pin_dir_.string());
        }
        device_ = device::open_ebpf_host(options_.name, pin_dir_.string(), place_,
                                         container::BackendOptions{});
        api_ = std::make_unique<HostApiServer>(*device_, HostApiOptions{});
        api_->start(options_.api.host, options_.api.port, options_.tls);
    } catch (...) {
        api_.reset();
        device_.reset();
        if (made_client) {
            try {
                bpf::HostClient::open(pin_dir_).detach(uplink_ifindex_);
            } catch (...) {
            }
            bpf::HostClient::remove(pin_dir_);
        }
        throw;
    }
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
    nlohmann::json s = {{"api", at.str()},
                        {"uplink", options_.uplink},
                        {"adopted", adopted_},
                        {"tls", options_.tls.has_value()},
                        {"netns", place_.netns}};
    if (place_.bridged)
        s["bridge"] = place_.bridge;
    return s;
}

void HostNode::remove_made_bridge() const {
    if (options_.bridge.empty() || !net::link_exists("", options_.bridge))
        return;
    if (net::link_info("", options_.bridge).alias != bridge_marker(options_.name))
        return;  // the operator's
    process::run({"ip", "link", "set", options_.uplink, "nomaster"});
    process::run({"ip", "link", "del", options_.bridge});
}

void HostNode::release(bool keep) {
    released_ = true;
    api_->stop();
    if (keep) {
        spdlog::info("kept the host client attached at {}", pin_dir_.string());
        if (own_netns_)
            own_netns_->release();  // the next agent adopts the name with the namespace
        return;
    }
    bpf::HostClient::open(pin_dir_).detach(uplink_ifindex_);
    bpf::HostClient::remove(pin_dir_);
    std::error_code ec;
    fs::remove(pin_dir_.parent_path(), ec);  // the node's directory, when empty
    if (own_netns_) {
        remove_made_bridge();
        own_netns_.reset();  // drops the name, not the namespace
    }
}

}  // namespace chima::agent
