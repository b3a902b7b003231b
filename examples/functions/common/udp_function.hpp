// The tiny runtime shared by the example container functions: a UDP request/response
// server. Each request is transformed; with a next function configured, the result is sent
// to it from a fresh socket and its answer (or an error text after the timeout) goes back to
// the original sender. Requests are served concurrently so a slow downstream blocks nothing
// but its own request. The functions know nothing about INT or MPLS.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace chima::fn {

using Transform = std::function<std::string(std::string_view)>;

struct Endpoint {
    std::string ip;  // dotted IPv4
    uint16_t port = 0;
};

struct FunctionConfig {
    uint16_t port = 12345;
    std::optional<Endpoint> next;
    std::chrono::milliseconds timeout{1000};
    bool verbose = false;
};

// Parses "a.b.c.d:port" (port defaults to 12345 when omitted); nullopt when malformed.
std::optional<Endpoint> parse_endpoint(std::string_view text);

// Reads CHIMA_PORT / CHIMA_NEXT / CHIMA_TIMEOUT_MS, then --port / --next / --timeout-ms /
// --verbose (arguments win). Prints the problem and exits 2 on bad input, 0 on --help.
FunctionConfig parse_config(std::string_view name, int argc, char** argv);

// Serves until SIGTERM/SIGINT (handled explicitly: as PID 1 in a container the default
// action would be ignored). Returns the process exit code.
int serve(std::string_view name, const FunctionConfig& config, const Transform& transform);

// parse_config + serve: the whole main() of a function.
int run_function(std::string_view name, int argc, char** argv, const Transform& transform);

}  // namespace chima::fn
