#include "chima/host_port.hpp"

#include <cctype>

namespace chima {

namespace {

std::optional<HostPort> fail(std::string* problem, const std::string& why) {
    if (problem)
        *problem = why;
    return std::nullopt;
}

// A DNS name or IPv4 address: letters, digits, '-', '.'; no empty label.
bool plain_host(const std::string& h) {
    if (h.empty() || h.front() == '.' || h.back() == '.' || h.find("..") != std::string::npos)
        return false;
    for (char c : h)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.')
            return false;
    return true;
}

bool ipv6_host(const std::string& h) {
    if (h.find(':') == std::string::npos)
        return false;
    for (char c : h)
        if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.')
            return false;
    return true;
}

}  // namespace

std::string HostPort::str() const {
    return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
           std::to_string(port);
}

std::optional<HostPort> parse_host_port(const std::string& text, std::string* problem) {
    HostPort out;
    std::string port_text;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string::npos)
            return fail(problem, "no closing ']'");
        out.host = text.substr(1, close - 1);
        if (!ipv6_host(out.host))
            return fail(problem, "'" + out.host + "' is not an IPv6 address");
        if (close + 1 >= text.size() || text[close + 1] != ':')
            return fail(problem, "no port: write [ADDR]:PORT");
        port_text = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string::npos)
            return fail(problem, "no port: write HOST:PORT");
        if (text.find(':') != colon)
            return fail(problem, "write an IPv6 address as [ADDR]:PORT");
        out.host = text.substr(0, colon);
        if (!plain_host(out.host))
            return fail(problem, "'" + out.host + "' is not a host name or address");
        port_text = text.substr(colon + 1);
    }
    if (port_text.empty() || port_text.size() > 5)
        return fail(problem, "port '" + port_text + "' is not a number in 1..65535");
    unsigned long port = 0;
    for (char c : port_text) {
        if (!std::isdigit(static_cast<unsigned char>(c)))
            return fail(problem, "port '" + port_text + "' is not a number in 1..65535");
        port = port * 10 + static_cast<unsigned long>(c - '0');
    }
    if (port == 0 || port > 65535)
        return fail(problem, "port " + port_text + " is out of 1..65535");
    out.port = static_cast<uint16_t>(port);
    return out;
}

}  // namespace chima
