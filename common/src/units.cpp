#include "chima/units.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace chima {

std::optional<Nanoseconds> parse_duration(const std::string& text) {
    if (text == "0")
        return 0;
    size_t i = 0;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
        ++i;
    if (i == 0 || i == text.size())
        return std::nullopt;
    std::string number = text.substr(0, i);
    std::string unit = text.substr(i);
    if (number.find('.') != number.rfind('.'))
        return std::nullopt;
    double scale;
    if (unit == "ns")
        scale = 1;
    else if (unit == "us")
        scale = 1e3;
    else if (unit == "ms")
        scale = 1e6;
    else if (unit == "s")
        scale = 1e9;
    else
        return std::nullopt;
    char* end = nullptr;
    double v = std::strtod(number.c_str(), &end);
    if (end == nullptr || *end != '\0' || !std::isfinite(v))
        return std::nullopt;
    double ns = v * scale;
    if (ns > 9.0e18)
        return std::nullopt;
    return static_cast<Nanoseconds>(std::llround(ns));
}

std::string format_duration(Nanoseconds ns) {
    struct Unit {
        const char* name;
        Nanoseconds scale;
    };
    static constexpr Unit units[] = {{"s", 1000000000}, {"ms", 1000000}, {"us", 1000}, {"ns", 1}};
    if (ns == 0)
        return "0";
    for (const auto& u : units) {
        if (ns % u.scale == 0)
            return std::to_string(ns / u.scale) + u.name;
    }
    return std::to_string(ns) + "ns";
}

std::optional<Ipv4> Ipv4::parse(const std::string& text) {
    unsigned a, b, c, d;
    char tail;
    if (std::sscanf(text.c_str(), "%3u.%3u.%3u.%3u%c", &a, &b, &c, &d, &tail) != 4)
        return std::nullopt;
    if (a > 255 || b > 255 || c > 255 || d > 255)
        return std::nullopt;
    return Ipv4{(a << 24) | (b << 16) | (c << 8) | d};
}

std::string Ipv4::str() const {
    return std::to_string(value >> 24) + "." + std::to_string((value >> 16) & 255) + "." +
           std::to_string((value >> 8) & 255) + "." + std::to_string(value & 255);
}

std::optional<Mac> Mac::parse(const std::string& text) {
    unsigned b[6];
    char tail;
    if (std::sscanf(text.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
                    &b[5], &tail) != 6)
        return std::nullopt;
    uint64_t v = 0;
    for (unsigned x : b)
        v = (v << 8) | x;
    return Mac{v};
}

std::string Mac::str() const {
    char buf[18];
    std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", unsigned(value >> 40) & 255,
                  unsigned(value >> 32) & 255, unsigned(value >> 24) & 255,
                  unsigned(value >> 16) & 255, unsigned(value >> 8) & 255, unsigned(value) & 255);
    return buf;
}

std::optional<std::string> expand_env(const std::string& text, std::string* problem) {
    std::string out;
    for (size_t i = 0; i < text.size();) {
        if (text[i] != '$') {
            out += text[i++];
            continue;
        }
        size_t start = i + 1;
        bool braced = start < text.size() && text[start] == '{';
        if (braced)
            ++start;
        size_t end = start;
        while (end < text.size() &&
               (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_'))
            ++end;
        std::string var = text.substr(start, end - start);
        if (braced && (var.empty() || end >= text.size() || text[end] != '}')) {
            // A path with "${" in it is a typo, never a file name meant literally.
            if (problem) {
                size_t close = text.find('}', start);
                *problem = close == std::string::npos
                               ? "'${' at character " + std::to_string(i + 1) + " is not closed"
                               : "'" + text.substr(i, close - i + 1) + "' at character " +
                                     std::to_string(i + 1) + " is not a variable name";
            }
            return std::nullopt;
        }
        if (var.empty()) {
            out += text[i++];
            continue;
        }
        const char* value = std::getenv(var.c_str());
        std::string v;
        if (value) {
            v = value;
        } else if (var == "CHIMA_ROOT") {
            v = CHIMA_DEFAULT_ROOT;
        } else {
            if (problem)
                *problem = "environment variable $" + var + " is not set";
            return std::nullopt;
        }
        out += v;
        i = braced ? end + 1 : end;
    }
    return out;
}

}  // namespace chima
