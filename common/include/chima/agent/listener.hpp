// What chima-agent's listeners (the host API, the P4Runtime service) share.
#pragma once

#include "chima/remote/tls_files.hpp"

namespace chima::agent {

// PEM files of a listener that serves TLS. `ca` verifies the clients: a listener with TLS
// requires a client certificate signed by it (mutual TLS) and refuses a client without one.
// One struct with the clients of the agent (chima/remote), which name the same three files.
using TlsFiles = remote::TlsFiles;

}  // namespace chima::agent
