// Where a device is reached: "HOST:PORT", "[IPv6]:PORT". HOST is an address or a DNS name;
// the port is required (a device has no default a caller could guess right).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace chima {

struct HostPort {
    std::string host;  // without brackets
    uint16_t port = 0;
    std::string str() const;  // as parsed: brackets around an IPv6 host
};

// nullopt with `problem` set ("no port", "port 0 out of 1..65535", ...) when malformed.
std::optional<HostPort> parse_host_port(const std::string& text, std::string* problem = nullptr);

}  // namespace chima
