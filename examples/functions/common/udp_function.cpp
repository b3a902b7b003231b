#include "udp_function.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace chima::fn {
namespace {

constexpr size_t kMaxDatagram = 65535;
// Requests in flight beyond this are dropped: a bound on threads when downstream hangs.
constexpr int kMaxInFlight = 256;

std::optional<unsigned long> parse_number(std::string_view text, unsigned long max) {
    unsigned long value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value > max)
        return std::nullopt;
    return value;
}

[[noreturn]] void usage_error(std::string_view name, const std::string& message) {
    std::fprintf(stderr, "%.*s: error: %s\n", static_cast<int>(name.size()), name.data(),
                 message.c_str());
    std::exit(2);
}

void print_help(std::string_view name) {
    std::printf(
        "usage: %.*s [--port N] [--next IP:PORT] [--timeout-ms N] [--verbose]\n"
        "UDP function on port N (default 12345, env CHIMA_PORT). With a next function\n"
        "(env CHIMA_NEXT) each transformed request is forwarded there and its answer returned;\n"
        "after --timeout-ms (default 1000, env CHIMA_TIMEOUT_MS) an error text is returned.\n",
        static_cast<int>(name.size()), name.data());
}

sockaddr_in to_sockaddr(const Endpoint& ep) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(ep.port);
    ::inet_pton(AF_INET, ep.ip.c_str(), &addr.sin_addr);
    return addr;
}

std::string endpoint_text(const Endpoint& ep) {
    return ep.ip + ":" + std::to_string(ep.port);
}

// Closes a socket at scope exit.
struct Socket {
    int fd;
    explicit Socket(int f) : fd(f) {}
    ~Socket() {
        if (fd >= 0)
            ::close(fd);
    }
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
};

// Sends `request` to the next function from a fresh socket and waits for its answer.
std::string forward(std::string_view name, const FunctionConfig& config,
                    const std::string& request) {
    const Endpoint& next = *config.next;
    auto failure = [&](const std::string& why) {
        return "error: " + std::string(name) + ": " + why;
    };
    Socket sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (sock.fd < 0)
        return failure(std::string("socket: ") + std::strerror(errno));
    sockaddr_in addr = to_sockaddr(next);
    if (::connect(sock.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::send(sock.fd, request.data(), request.size(), 0) < 0) {
        return failure("cannot send to " + endpoint_text(next) + ": " + std::strerror(errno));
    }
    auto deadline = std::chrono::steady_clock::now() + config.timeout;
    std::string buf(kMaxDatagram, '\0');
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0)
            break;
        pollfd pfd{sock.fd, POLLIN, 0};
        int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0)
            break;
        ssize_t n = ::recv(sock.fd, buf.data(), buf.size(), 0);
        if (n >= 0)
            return buf.substr(0, static_cast<size_t>(n));
        if (errno == ECONNREFUSED)
            return failure("next function " + endpoint_text(next) + " refused (nothing listening)");
        if (errno != EINTR)
            return failure(std::string("recv: ") + std::strerror(errno));
    }
    return failure("no answer from " + endpoint_text(next) + " within " +
                   std::to_string(config.timeout.count()) + " ms");
}

void on_terminate(int) {
    ::_exit(0);
}

}  // namespace

std::optional<Endpoint> parse_endpoint(std::string_view text) {
    Endpoint ep;
    auto colon = text.rfind(':');
    std::string_view ip = text.substr(0, colon);
    ep.port = 12345;
    if (colon != std::string_view::npos) {
        auto port = parse_number(text.substr(colon + 1), 65535);
        if (!port || *port == 0)
            return std::nullopt;
        ep.port = static_cast<uint16_t>(*port);
    }
    ep.ip = std::string(ip);
    in_addr probe{};
    if (ep.ip.empty() || ::inet_pton(AF_INET, ep.ip.c_str(), &probe) != 1)
        return std::nullopt;
    return ep;
}

FunctionConfig parse_config(std::string_view name, int argc, char** argv) {
    FunctionConfig config;
    std::optional<std::string> port_text, next_text, timeout_text;
    if (const char* v = std::getenv("CHIMA_PORT"); v && *v)
        port_text = v;
    if (const char* v = std::getenv("CHIMA_NEXT"); v && *v)
        next_text = v;
    if (const char* v = std::getenv("CHIMA_TIMEOUT_MS"); v && *v)
        timeout_text = v;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc)
                usage_error(name, std::string(arg) + " needs a value");
            return argv[++i];
        };
        if (arg == "--port") {
            port_text = value();
        } else if (arg == "--next") {
            next_text = value();
        } else if (arg == "--timeout-ms") {
            timeout_text = value();
        } else if (arg == "--verbose" || arg == "-v") {
            config.verbose = true;
        } else if (arg == "--help" || arg == "-h") {
            print_help(name);
            std::exit(0);
        } else {
            usage_error(name, "unknown argument '" + std::string(arg) + "'");
        }
    }
    if (port_text) {
        auto port = parse_number(*port_text, 65535);
        if (!port || *port == 0)
            usage_error(name, "bad port '" + *port_text + "'");
        config.port = static_cast<uint16_t>(*port);
    }
    if (next_text) {
        config.next = parse_endpoint(*next_text);
        if (!config.next)
            usage_error(name, "bad next address '" + *next_text + "' (IPv4[:port])");
    }
    if (timeout_text) {
        auto ms = parse_number(*timeout_text, 600000);
        if (!ms || *ms == 0)
            usage_error(name, "bad timeout '" + *timeout_text + "'");
        config.timeout = std::chrono::milliseconds(*ms);
    }
    return config;
}

int serve(std::string_view name, const FunctionConfig& config, const Transform& transform) {
    struct sigaction sa {};
    sa.sa_handler = on_terminate;
    ::sigaction(SIGTERM, &sa, nullptr);
    ::sigaction(SIGINT, &sa, nullptr);

    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        std::perror("socket");
        return 1;
    }
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(config.port);
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        std::fprintf(stderr, "%.*s: error: bind udp port %u: %s\n", static_cast<int>(name.size()),
                     name.data(), config.port, std::strerror(errno));
        return 1;
    }
    std::fprintf(stderr, "%.*s: listening on udp port %u, next %s\n", static_cast<int>(name.size()),
                 name.data(), config.port,
                 config.next ? endpoint_text(*config.next).c_str() : "(none: answers directly)");

    std::atomic<int> in_flight{0};
    std::string buf(kMaxDatagram, '\0');
    for (;;) {
        sockaddr_in sender{};
        socklen_t sender_len = sizeof sender;
        ssize_t n = ::recvfrom(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&sender),
                               &sender_len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            std::perror("recvfrom");
            return 1;
        }
        std::string request = buf.substr(0, static_cast<size_t>(n));
        if (config.verbose) {
            std::fprintf(stderr, "%.*s: request '%s'\n", static_cast<int>(name.size()), name.data(),
                         request.c_str());
        }
        if (in_flight.load() >= kMaxInFlight)
            continue;
        ++in_flight;
        // One thread per request: a downstream that hangs costs one thread for the timeout.
        std::thread([&, request = std::move(request), sender]() {
            std::string out = transform(request);
            std::string reply = config.next ? forward(name, config, out) : out;
            ::sendto(fd, reply.data(), reply.size(), 0, reinterpret_cast<const sockaddr*>(&sender),
                     sizeof sender);
            --in_flight;
        }).detach();
    }
}

int run_function(std::string_view name, int argc, char** argv, const Transform& transform) {
    FunctionConfig config = parse_config(name, argc, argv);
    return serve(name, config, transform);
}

}  // namespace chima::fn
