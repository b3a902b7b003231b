// A HostDevice on another machine: every operation is one request to the host API of the
// chima-agent there (man chima-agent(8), HOST API; the JSON is chima/remote/host_api_json.hpp),
// so the tools drive it as they drive a local host.
//
//   remote::HostEndpoint agent{"10.0.0.1:9560", remote::TlsFiles{"tool.pem", "tool.key",
//                                                                 "ca.pem"}};
//   auto h1 = remote::open_remote_host("h1", agent);
//   h1->set_flow(src, dst, stack);   // PUT /v1/flows/SRC/DST
//
// Calls are safe from many threads; each takes a libcurl handle from a small pool, so a
// connection to the agent is kept open and reused. Every call has a deadline (connect and
// total); a call that is idempotent (reads, replaces, deletes) is tried again after a
// transport failure (refused, reset, no answer) while its deadline allows, a call that is
// not (creating a namespace, starting a function) never is.
//
// Errors name the device, the agent's address, the request and what the agent answered:
//   host h1 (10.0.0.1:9560): PUT /v1/netns/fn-c-echo: 409 netns: function namespace ... exists
// The agent's 400 is an InputError, any other refusal a RuntimeError, and an agent that
// cannot be reached a RuntimeError saying so. Health events (watch_health) come from the
// agent's event stream, read by the watcher's own thread and reopened when it drops.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "chima/device/host_device.hpp"
#include "chima/remote/tls_files.hpp"

namespace chima::remote {

struct HostEndpoint {
    std::string address;  // HOST:PORT of the agent's host API ([ADDRESS]:PORT for IPv6)
    // https with this client's certificate and key, the agent's certificate verified against
    // `ca` (its name or address must be the certificate's); plain http without. A client
    // without certificate (cert and key empty) is refused by an agent with mutual TLS.
    std::optional<TlsFiles> tls;
    std::chrono::milliseconds timeout{5000};          // a call, retries included
    std::chrono::milliseconds connect_timeout{2000};  // one connection attempt
    // Calls that run a container engine on the host (prepare a backend, start or stop a
    // function) and image builds.
    std::chrono::milliseconds container_timeout{60000};
    std::chrono::milliseconds build_timeout{600000};
    int attempts = 3;                             // of an idempotent call that fails in transport
    std::chrono::milliseconds retry_backoff{50};  // before the second attempt, then doubled
    // An event stream from which no byte (event or keepalive line, which the agent writes
    // every 5 s) arrived for this long is taken as dead and opened again.
    std::chrono::milliseconds stream_idle{15000};
};

// The host `name` served by the agent at `endpoint`. Nothing is sent yet; InputError when
// the address is not HOST:PORT or a TLS file cannot be read.
std::unique_ptr<device::HostDevice> open_remote_host(const std::string& name,
                                                     const HostEndpoint& endpoint);

}  // namespace chima::remote
