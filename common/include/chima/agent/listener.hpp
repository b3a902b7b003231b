// What chima-agent's listeners (the host API, the P4Runtime service) share.
#pragma once

#include <string>

namespace chima::agent {

// PEM files of a listener that serves TLS. `ca` verifies the clients: a listener with TLS
// requires a client certificate signed by it (mutual TLS) and refuses a client without one.
struct TlsFiles {
    std::string cert;  // the listener's certificate (chain)
    std::string key;   // its private key
    std::string ca;    // the CA that signs the clients' certificates
};

}  // namespace chima::agent
