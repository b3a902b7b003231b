// Private to common/src/remote: requests to one agent's host API over libcurl, with the
// endpoint's TLS, deadlines and retries (chima/remote/http_host.hpp says which), and the
// errors that name the device, the address and the request.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chima/remote/http_host.hpp"

namespace chima::remote::detail {

struct CurlDeleter {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
using CurlHandle = std::unique_ptr<CURL, CurlDeleter>;

struct HttpRequest {
    std::string method;               // GET, PUT, POST, DELETE
    std::string target;               // path and query, escaped ("/v1/flows/10.0.0.1/10.0.0.2")
    std::optional<std::string> body;  // JSON
    // Sent again after a transport failure (chima/remote/http_host.hpp): only for an
    // operation whose repetition leaves the host as one would.
    bool idempotent = false;
    std::chrono::milliseconds timeout{0};  // the whole call; 0: the endpoint's
};

struct HttpAnswer {
    long status = 0;
    std::string body;
};

class HttpTransport {
  public:
    // InputError when the address or the TLS files are not usable.
    HttpTransport(std::string device, HostEndpoint endpoint);
    HttpTransport(const HttpTransport&) = delete;
    HttpTransport& operator=(const HttpTransport&) = delete;

    // The agent's answer, whatever its status. RuntimeError when none came (the agent is
    // unreachable, the connection dropped, the deadline passed).
    HttpAnswer send(const HttpRequest& request);
    // Throws what `answer`, a refusal, means: InputError for 400, RuntimeError otherwise,
    // with the agent's message and field.
    [[noreturn]] void refuse(const HttpRequest& request, const HttpAnswer& answer) const;
    // "host h1 (10.0.0.1:9560): GET /v1/host", the start of every message.
    std::string context(const HttpRequest& request) const;

    // Sets up `handle` for a request of `method` to `target` with the endpoint's URL, TLS
    // and connect timeout, and no total timeout (the caller sets one, or reads a stream).
    void configure(CURL* handle, const std::string& method, const std::string& target) const;

    const std::string& device() const { return device_; }
    const HostEndpoint& endpoint() const { return endpoint_; }
    // Connections opened so far (a kept-alive connection is counted once).
    long connections_opened() const;

  private:
    struct Attempt;
    Attempt perform(CURL* handle, const HttpRequest& request,
                    std::chrono::milliseconds budget) const;
    CurlHandle acquire();
    void release(CurlHandle handle);

    std::string device_;
    HostEndpoint endpoint_;
    std::string base_url_;  // "https://10.0.0.1:9560"
    mutable std::mutex mutex_;
    std::vector<CurlHandle> idle_;  // handles with their open connections, for reuse
    long connections_ = 0;
};

// `text` escaped for one path segment or query value of a URL.
std::string url_escape(std::string_view text);

}  // namespace chima::remote::detail
