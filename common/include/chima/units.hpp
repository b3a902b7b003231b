// Values as written in input files: durations ("5ms"), IPv4 and MAC addresses, names.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "chima/names.hpp"

namespace chima {

using Nanoseconds = int64_t;

// "5ms", "250us", "1.5s", "100ns", "0" -> nanoseconds; nullopt when malformed.
std::optional<Nanoseconds> parse_duration(const std::string& text);
// 5000000 -> "5ms" (exact when possible, else with decimals).
std::string format_duration(Nanoseconds ns);

// IPv4 address in host byte order.
struct Ipv4 {
    uint32_t value = 0;
    static std::optional<Ipv4> parse(const std::string& text);
    std::string str() const;
    auto operator<=>(const Ipv4&) const = default;
};

// MAC address in the low 48 bits, first byte most significant.
struct Mac {
    uint64_t value = 0;
    static std::optional<Mac> parse(const std::string& text);
    std::string str() const;
    auto operator<=>(const Mac&) const = default;
};

// Expands $VAR and ${VAR} from the environment. CHIMA_ROOT defaults to the source tree the
// tools were built from. An unset variable, a "${" without its "}" and a "${...}" that is no
// variable name are errors: returns nullopt and sets `problem` (e.g. "environment variable
// $X is not set", "'${' at character 3 is not closed").
std::optional<std::string> expand_env(const std::string& text, std::string* problem = nullptr);

}  // namespace chima
