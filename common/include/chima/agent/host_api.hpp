// The host role of chima-agent: the paper's CHIMAclient as an HTTP/JSON API over a
// HostDevice. Every HostDevice operation is one request (man chima-agent(8), HOST API), so
// an HTTP client of it is a drop-in HostDevice; the JSON is chima/remote/host_api_json.hpp
// and the client chima/remote/http_host.hpp.
//
//   device::EbpfHost host(...);
//   agent::HostApiServer api(host, {});
//   api.start("127.0.0.1", 0, std::nullopt);   // port 0: any free port, api.port() says which
//   ...
//   api.stop();                                  // also when destroyed
//
// Every request is validated completely before the device is called: a bad one changes
// nothing and is answered 400 with the offending field. The server runs its own threads; it
// calls the device from several of them at once (HostDevice implementations lock).
// A process serving TLS should ignore SIGPIPE: OpenSSL writes to a socket a client may have
// closed.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "chima/agent/listener.hpp"
#include "chima/device/host_device.hpp"

namespace chima::agent {

struct HostApiOptions {
    size_t max_body_bytes = 1 << 20;  // a larger request body is answered 413
    // The longest wait a GET .../serving may ask for (400 above it).
    std::chrono::milliseconds max_wait_serving{30000};
    size_t worker_threads = 8;     // requests served at once
    size_t max_event_streams = 4;  // open GET /v1/backends/{kind}/events at once (503 above)
    // An event stream with nothing to say writes an empty line this often, so that a client
    // that went away is noticed and its watcher released.
    std::chrono::milliseconds keepalive{5000};
    size_t max_queued_events = 4096;  // per stream; a client that reads none loses the newest
};

class HostApiServer {
  public:
    HostApiServer(device::HostDevice& host, HostApiOptions options = {});
    ~HostApiServer();
    HostApiServer(const HostApiServer&) = delete;
    HostApiServer& operator=(const HostApiServer&) = delete;

    // Binds host:port (port 0: any free one) and serves from its own threads. With tls, only
    // clients with a certificate signed by tls->ca are served (mutual TLS). RuntimeError
    // when the address cannot be bound or the TLS files cannot be loaded; InputError when
    // the server was started already.
    void start(const std::string& host, uint16_t port, const std::optional<TlsFiles>& tls);
    // The bound port (0 before start).
    uint16_t port() const;
    // Stops serving: open event streams end, their watchers are released. Idempotent.
    void stop();

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace chima::agent
