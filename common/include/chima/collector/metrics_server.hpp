// A small HTTP server for Prometheus scrapes: GET /metrics answers with the body the
// render function produces at that moment. Runs on its own thread until destroyed.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace chima::collector {

struct ListenAddress {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
};

// "ADDR:PORT", ":PORT" or "PORT" (loopback by default). Throws InputError.
ListenAddress parse_listen_address(const std::string& text);

class MetricsServer {
  public:
    // Binds at once (throws RuntimeError when the address is taken); port 0 picks a free
    // port, see port(). The serving thread does not take SIGINT/SIGTERM.
    MetricsServer(const ListenAddress& address, std::function<std::string()> render);
    ~MetricsServer();
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;

    std::uint16_t port() const { return port_; }

  private:
    std::unique_ptr<httplib::Server> server_;
    std::thread thread_;
    std::uint16_t port_ = 0;
};

}  // namespace chima::collector
