// What `chima-net perturb` can do to a link, as plain values.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace chima::net {

// Applied to each direction of a link independently.
struct Impairment {
    std::chrono::nanoseconds delay{0};   // added one-way delay
    std::chrono::nanoseconds jitter{0};  // uniform in [-jitter, +jitter] around delay
    double loss = 0.0;                   // drop probability, 0..1
    std::uint64_t rate_bps = 0;          // serialization rate in bit/s; 0 = unlimited

    bool any() const { return delay.count() > 0 || jitter.count() > 0 || loss > 0 || rate_bps > 0; }
    bool operator==(const Impairment&) const = default;
};

// "delay=20000000ns jitter=0ns loss=0 rate=0bps": the form stored in the delay line's
// interface alias, read back by link_status().
std::string to_string(const Impairment& imp);
// Parses what to_string wrote; throws RuntimeError on anything else.
Impairment parse_impairment(const std::string& text);

// "1%", "0.5%", "0.01" -> 0.01; nullopt when malformed or outside [0, 1].
std::optional<double> parse_loss(const std::string& text);
// "10mbit", "500kbit", "1gbit", "64000bit", "64000" (bit/s, SI prefixes) -> bit/s.
std::optional<std::uint64_t> parse_rate(const std::string& text);

// Throws InputError unless delay >= 0, 0 <= jitter, loss in [0, 1].
void check_impairment(const Impairment& imp);

}  // namespace chima::net
