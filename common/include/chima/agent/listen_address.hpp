// Where an agent's listener binds and whether it may: ADDR:PORT parsing and the rule that
// only loopback may go without TLS (anything else needs --tls-cert/--tls-key/--tls-ca, that
// is mutual TLS, unless the operator says --insecure, which is logged as a warning).
//
//   auto at = parse_listen_address("0.0.0.0:9559", 9559);   // {host "0.0.0.0", port 9559}
//   require_secure_listener("--listen", at, tls, insecure);    // InputError without TLS
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "chima/agent/listener.hpp"

namespace chima::agent {

struct ListenAddress {
    std::string host;  // an IPv4 or IPv6 literal ("::1", without brackets) or "localhost"
    uint16_t port = 0;
    std::string str() const;  // host:port, IPv6 in brackets
};

// "ADDR:PORT", "[V6]:PORT", "ADDR" (default_port) or ":PORT" (loopback). InputError naming
// `text` for anything else (a host name other than localhost, a port out of range).
ListenAddress parse_listen_address(const std::string& text, uint16_t default_port);

// 127.0.0.0/8, ::1, localhost.
bool is_loopback(const std::string& host);

// InputError when `at` is not loopback and `tls` is unset, unless `insecure`; with
// `insecure` and a non-loopback address, logs a warning naming `flag`. With TLS, every
// file must be readable (InputError naming the missing one).
void require_secure_listener(const std::string& flag, const ListenAddress& at,
                             const std::optional<TlsFiles>& tls, bool insecure);

// The TLS files from three flags: all empty -> nullopt; some but not all -> InputError.
std::optional<TlsFiles> tls_files_from_flags(const std::string& cert, const std::string& key,
                                             const std::string& ca);

}  // namespace chima::agent
