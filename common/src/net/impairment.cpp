#include "chima/net/impairment.hpp"

#include <cstdio>

#include "chima/error.hpp"

namespace chima::net {

std::string to_string(const Impairment& imp) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "delay=%lldns jitter=%lldns loss=%.9g rate=%llubps",
                  static_cast<long long>(imp.delay.count()),
                  static_cast<long long>(imp.jitter.count()), imp.loss,
                  static_cast<unsigned long long>(imp.rate_bps));
    return buf;
}

Impairment parse_impairment(const std::string& text) {
    long long delay = 0, jitter = 0;
    double loss = 0;
    unsigned long long rate = 0;
    int consumed = 0;
    int n = std::sscanf(text.c_str(), "delay=%lldns jitter=%lldns loss=%lf rate=%llubps%n", &delay,
                        &jitter, &loss, &rate, &consumed);
    if (n != 4 || static_cast<size_t>(consumed) != text.size()) {
        throw RuntimeError("not a delay-line setting: \"" + text + "\"");
    }
    Impairment imp;
    imp.delay = std::chrono::nanoseconds(delay);
    imp.jitter = std::chrono::nanoseconds(jitter);
    imp.loss = loss;
    imp.rate_bps = rate;
    return imp;
}

std::optional<double> parse_loss(const std::string& text) {
    double value = 0;
    int consumed = 0;
    if (std::sscanf(text.c_str(), "%lf%n", &value, &consumed) != 1)
        return std::nullopt;
    std::string rest = text.substr(static_cast<size_t>(consumed));
    if (rest == "%") {
        value /= 100.0;
    } else if (!rest.empty()) {
        return std::nullopt;
    }
    if (!(value >= 0.0 && value <= 1.0))
        return std::nullopt;
    return value;
}

std::optional<std::uint64_t> parse_rate(const std::string& text) {
    double value = 0;
    int consumed = 0;
    if (std::sscanf(text.c_str(), "%lf%n", &value, &consumed) != 1 || value < 0) {
        return std::nullopt;
    }
    const std::string unit = text.substr(static_cast<size_t>(consumed));
    double scale = 0;
    if (unit.empty() || unit == "bit")
        scale = 1;
    if (unit == "kbit")
        scale = 1e3;
    if (unit == "mbit")
        scale = 1e6;
    if (unit == "gbit")
        scale = 1e9;
    if (scale == 0)
        return std::nullopt;
    return static_cast<std::uint64_t>(value * scale + 0.5);
}

void check_impairment(const Impairment& imp) {
    if (imp.delay.count() < 0)
        throw InputError("delay must not be negative");
    if (imp.jitter.count() < 0)
        throw InputError("jitter must not be negative");
    if (!(imp.loss >= 0.0 && imp.loss <= 1.0)) {
        throw InputError("loss must be a probability between 0 and 1",
                         "give --loss as a fraction (0.01) or a percentage (1%)");
    }
}

}  // namespace chima::net
