// The naming scheme of an emulated network. Everything we create is found again from names
// alone, so `chima-net down` works after a crash without any state file.
//
//   node netns        chima.<net>.<node>               e.g. chima.demo.s0
//   delay-line netns  chima.<net>.dl.<node>.<port>     the link's delay line, named by the
//                                                      switch port it was spliced behind
//   BPF pins          /sys/fs/bpf/chima/<net>/
//
// Net and node names follow the one rule of every name (chima/names.hpp: [a-z0-9][a-z0-9_-]*,
// 1..32 characters): no dots, so the prefix
// "chima.<net>." never matches another network (net "a" vs net "a-b" differ at the dot),
// and a node netns (two dots) never looks like a delay-line netns (four dots).
// Interface names are chosen by the caller, one namespace each, so they are only checked
// against the kernel's rules (1..15 characters, no '/', ':' or white space). Nothing of
// ours ever lives in the caller's (root) namespace: veth pairs are created directly in
// their node namespaces, and deleting a namespace deletes its interfaces.
#pragma once

#include <string>

namespace chima::net {

inline constexpr const char* kNetnsDir = "/run/netns";
inline constexpr const char* kPinRoot = "/sys/fs/bpf/chima";
// Label on every container function started in network NET: chima.net=NET.
inline constexpr const char* kNetLabel = "chima.net";

// Throw InputError (with a hint) when the name breaks the rules above (check_name).
void check_net_name(const std::string& name);
void check_node_name(const std::string& name);
void check_ifname(const std::string& name);

// The network a tool drives: `given` (its --net) or else the topology's name, checked
// with check_net_name before anything is opened by it.
std::string network_name(const std::string& given, const std::string& topology_name);

// "chima.<net>." -- every netns of the network starts with this.
std::string netns_prefix(const std::string& net);
// "chima.<net>.<node>"
std::string node_netns(const std::string& net, const std::string& node);
// "chima.<net>.dl.<node>.<port>"
std::string delay_line_netns(const std::string& net, const std::string& node,
                             const std::string& port);
// "/sys/fs/bpf/chima/<net>"
std::string pin_dir(const std::string& net);

}  // namespace chima::net
