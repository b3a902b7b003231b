// The OpenSSL context of a listener with mutual TLS (chima/agent/listener.hpp).
#pragma once

#include <openssl/ssl.h>

#include <string>

#include "chima/agent/listener.hpp"

namespace chima::agent {

// Loads the certificate and key of `files`, and requires every client to present a
// certificate that files.ca signed. Returns what went wrong ("" when nothing did).
std::string configure_mutual_tls(SSL_CTX& ctx, const TlsFiles& files);

}  // namespace chima::agent
