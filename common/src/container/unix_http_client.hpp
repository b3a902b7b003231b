// Private to common/src/container: HTTP/1.1 requests to a server on a Unix socket (libcurl),
// what the podman API service speaks.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace chima::container::detail {

struct HttpResponse {
    long status = 0;  // HTTP status code
    std::string body;
};

class UnixHttpClient {
  public:
    explicit UnixHttpClient(std::string socket_path);

    // One request on a connection of its own, so calls from several threads are independent.
    // A JSON `body` is sent with Content-Type application/json. RuntimeError naming the
    // socket when nothing answers there (or not within `timeout`); any HTTP status returns.
    HttpResponse request(std::string_view method, const std::string& path,
                         const std::string& body = {},
                         std::chrono::milliseconds timeout = std::chrono::seconds(60)) const;

    // `text` escaped for one URL path segment or query value.
    static std::string escape(std::string_view text);

    const std::string& socket_path() const { return socket_path_; }

  private:
    std::string socket_path_;
};

}  // namespace chima::container::detail
