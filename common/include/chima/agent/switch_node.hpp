// The data plane of chima-agent's switch role: the eBPF switch pipeline on this node's
// ports, owned by the agent. A fresh start loads and pins it and attaches it to every port;
// a start that finds the pins and the state a `--keep` shutdown left adopts them without
// touching a map, so the data plane forwards through the restart.
//
//   auto ports = parse_switch_ports("p1,p2");           // port 1 = p1, port 2 = p2
//   SwitchNode node(SwitchNode::Options{"s1", ports});   // creates, or adopts kept pins
//   ... serve P4Runtime over node.pipeline() ...
//   node.release(keep, state);                           // keep: leave it forwarding
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "chima/bpf/switch_pipeline.hpp"

namespace chima::agent {

struct SwitchPort {
    uint32_t number = 0;
    std::string ifname;
};

// "IF1,IF2,..." (ports 1, 2, ...) or "N=IF,..." (explicit numbers 1..63); InputError for a
// bad list, a duplicate port or interface, an interface name against the kernel's rules.
std::vector<SwitchPort> parse_switch_ports(const std::string& text);

// How the pipeline sends frames out of a port: straight into a veth's peer
// (bpf_redirect_peer), or transmitted (bpf_redirect) on anything else.
enum class PortDelivery { Peer, Transmit };
const char* delivery_name(PortDelivery d);

class SwitchNode {
  public:
    struct Options {
        std::string name;  // the node's name: pins under /sys/fs/bpf/chima/agent/<name>/switch
        std::vector<SwitchPort> ports;
    };

    // Adopts the pipeline when a kept state and its pins are here (adopted() is then true
    // and kept_state() holds what the service saved), else removes leftovers and creates it.
    // RuntimeError when a port's interface is missing or the kernel refuses.
    explicit SwitchNode(Options options);
    SwitchNode(const SwitchNode&) = delete;
    SwitchNode& operator=(const SwitchNode&) = delete;
    // Without release(): like release(false).
    ~SwitchNode();

    bpf::SwitchPipeline& pipeline() { return *pipeline_; }
    bool adopted() const { return adopted_; }
    const nlohmann::json& kept_state() const { return kept_state_; }
    const std::filesystem::path& state_dir() const { return state_dir_; }
    nlohmann::json status() const;  // the ports: number, interface, ifindex, delivery

    // keep: writes `state` (with the ports) for the next agent and leaves everything
    // attached and pinned. Otherwise detaches every port and removes pins and state.
    void release(bool keep, const nlohmann::json& state);

  private:
    struct Port {
        SwitchPort port;
        uint32_t ifindex = 0;
        Mac mac;  // the interface's own address: the source of frames it sends
        PortDelivery delivery = PortDelivery::Transmit;
    };

    Options options_;
    std::filesystem::path pin_dir_, state_dir_;
    std::vector<Port> ports_;
    std::optional<bpf::SwitchPipeline> pipeline_;
    bool adopted_ = false, released_ = false;
    nlohmann::json kept_state_;
};

}  // namespace chima::agent
