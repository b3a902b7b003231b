#include "chima/agent/listen_address.hpp"

#include <arpa/inet.h>
#include <unistd.h>

#include <charconv>

#include <spdlog/spdlog.h>

#include "chima/error.hpp"

namespace chima::agent {

namespace {

bool is_ipv4(const std::string& s) {
    in_addr a{};
    return inet_pton(AF_INET, s.c_str(), &a) == 1;
}

bool is_ipv6(const std::string& s) {
    in6_addr a{};
    return inet_pton(AF_INET6, s.c_str(), &a) == 1;
}

uint16_t parse_port(const std::string& text, const std::string& whole) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value > 65535)
        throw InputError("listen address '" + whole + "': bad port '" + text + "'",
                         "expected ADDR:PORT with a port 0-65535");
    return static_cast<uint16_t>(value);
}

}  // namespace

std::string ListenAddress::str() const {
    if (host.find(':') != std::string::npos)
        return "[" + host + "]:" + std::to_string(port);
    return host + ":" + std::to_string(port);
}

ListenAddress parse_listen_address(const std::string& text, uint16_t default_port) {
    ListenAddress at;
    at.port = default_port;
    std::string host;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string::npos)
            throw InputError("listen address '" + text + "': no closing ']'");
        host = text.substr(1, close - 1);
        std::string rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':')
                throw InputError("listen address '" + text + "': expected ':PORT' after ']'");
            at.port = parse_port(rest.substr(1), text);
        }
        if (!is_ipv6(host))
            throw InputError("listen address '" + text + "': '" + host + "' is not IPv6");
    } else {
        auto colon = text.rfind(':');
        if (colon != std::string::npos && text.find(':') != colon)
            throw InputError("listen address '" + text + "': write IPv6 as [ADDR]:PORT");
        host = colon == std::string::npos ? text : text.substr(0, colon);
        if (colon != std::string::npos)
            at.port = parse_port(text.substr(colon + 1), text);
        if (host.empty())
            host = "127.0.0.1";
        if (host != "localhost" && !is_ipv4(host))
            throw InputError("listen address '" + text + "': '" + host + "' is not an IPv4 address",
                             "give an address (names other than localhost are not resolved)");
    }
    at.host = host == "localhost" ? "127.0.0.1" : host;
    return at;
}

bool is_loopback(const std::string& host) {
    if (host == "localhost" || host == "::1")
        return true;
    in_addr a{};
    if (inet_pton(AF_INET, host.c_str(), &a) == 1)
        return (ntohl(a.s_addr) >> 24) == 127;
    return false;
}

void require_secure_listener(const std::string& flag, const ListenAddress& at,
                             const std::optional<TlsFiles>& tls, bool insecure) {
    if (tls) {
        for (const auto* f : {&tls->cert, &tls->key, &tls->ca})
            if (access(f->c_str(), R_OK) != 0)
                throw InputError("TLS file '" + *f + "' is not readable");
        return;
    }
    if (is_loopback(at.host))
        return;
    if (!insecure)
        throw InputError(flag + " " + at.str() +
                             " is not a loopback address: it needs TLS (--tls-cert, --tls-key, "
                             "--tls-ca)",
                         "or say --insecure to serve it in plain text anyway");
    spdlog::warn(
        "{} {}: serving without TLS (--insecure): anyone who reaches it controls the "
        "node",
        flag, at.str());
}

std::optional<TlsFiles> tls_files_from_flags(const std::string& cert, const std::string& key,
                                             const std::string& ca) {
    int given = !cert.empty() + !key.empty() + !ca.empty();
    if (given == 0)
        return std::nullopt;
    if (given != 3)
        throw InputError("TLS needs all of --tls-cert, --tls-key and --tls-ca",
                         "the CA verifies client certificates (mutual TLS)");
    return TlsFiles{cert, key, ca};
}

}  // namespace chima::agent
