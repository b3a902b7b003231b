// Private to common/src/net: what must survive when a switch port's veth is replaced by a
// new one of the same name, ifindex and MAC (splicing a delay line in or out): the
// interface's settings, IPv4 addresses, permanent neighbours, routes through it, and the
// direct-action TC BPF filters attached to it (the switch pipeline). Programs are held by
// fd between capture and restore, so they survive even if nothing else pins them.
#pragma once

#include <string>
#include <vector>

#include "chima/net/link.hpp"

namespace chima::net::detail {

struct TcFilter {
    bool ingress = true;
    int priority = 0;
    unsigned handle = 0;
    int prog_fd = -1;  // owned
    std::string prog_name;
};

class PortSnapshot {
  public:
    // Reads everything about netns:ifname that restore() puts back.
    static PortSnapshot capture(const std::string& netns, const std::string& ifname);
    PortSnapshot() = default;
    PortSnapshot(PortSnapshot&& other) noexcept;
    PortSnapshot& operator=(PortSnapshot&& other) noexcept;
    ~PortSnapshot();

    // Applies the snapshot to the (new) interface of the same name in the same namespace.
    void restore() const;

    const LinkInfo& info() const { return info_; }

  private:
    void close_fds() noexcept;

    std::string netns_, ifname_;
    LinkInfo info_;
    std::vector<std::string> addresses_;                           // "10.0.0.1/24"
    std::vector<std::pair<std::string, std::string>> neighbours_;  // ip, mac
    std::vector<std::vector<std::string>> routes_;                 // `ip route replace` arguments
    std::vector<TcFilter> filters_;
};

}  // namespace chima::net::detail
