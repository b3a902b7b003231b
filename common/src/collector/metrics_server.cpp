#include "chima/collector/metrics_server.hpp"

#include <httplib.h>
#include <signal.h>

#include <charconv>

#include "chima/collector/prometheus.hpp"
#include "chima/error.hpp"

namespace chima::collector {

ListenAddress parse_listen_address(const std::string& text) {
    ListenAddress out;
    std::string port_text = text;
    auto colon = text.rfind(':');
    if (colon != std::string::npos) {
        if (colon > 0)
            out.host = text.substr(0, colon);
        port_text = text.substr(colon + 1);
    }
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (port_text.empty() || ec != std::errc() || ptr != port_text.data() + port_text.size() ||
        value > 65535)
        throw InputError("bad listen address '" + text + "'",
                         "expected ADDR:PORT, e.g. 127.0.0.1:9464");
    out.port = static_cast<std::uint16_t>(value);
    return out;
}

MetricsServer::MetricsServer(const ListenAddress& address, std::function<std::string()> render)
    : server_(std::make_unique<httplib::Server>()) {
    server_->Get("/metrics", [render](const httplib::Request&, httplib::Response& res) {
        res.set_content(render(), kPrometheusContentType);
    });
    if (address.port == 0) {
        int port = server_->bind_to_any_port(address.host);
        if (port <= 0)
            throw RuntimeError("cannot listen on " + address.host);
        port_ = static_cast<std::uint16_t>(port);
    } else {
        if (!server_->bind_to_port(address.host, address.port))
            throw RuntimeError("cannot listen on " + address.host + ":" +
                               std::to_string(address.port));
        port_ = address.port;
    }
    // Signals belong to the main thread (it detaches XDP on the way out).
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

MetricsServer::~MetricsServer() {
    server_->stop();
    if (thread_.joinable())
        thread_.join();
}

}  // namespace chima::collector
