// The PEM files of one end of a mutual-TLS connection: a listener of chima-agent (its
// certificate, and the CA its clients' certificates must be signed by) or a client of one
// (its certificate, and the CA that signed the agent's).
#pragma once

#include <string>

namespace chima::remote {

struct TlsFiles {
    std::string cert;  // this end's certificate (chain)
    std::string key;   // its private key
    std::string ca;    // the CA that signs the other end's certificates
};

}  // namespace chima::remote
