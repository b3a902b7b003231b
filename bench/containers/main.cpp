// Container start to first request served, median of N runs per backend.
// Usage (root): chima_bench_containers [--runs N] [--backend podman|podman-service|process]...
// podman-service: podman through a podman API service started first (PodmanService).
// The echo function runs in a throw-away netns; a client in the same netns sends a request
// every millisecond from the moment `run` is called until the first answer arrives.
// Goals: podman with a cached image <= 300 ms, process backend <= 20 ms.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "chima/container/backend.hpp"
#include "chima/container/podman_service.hpp"
#include "chima/error.hpp"
#include "chima/process/child_process.hpp"

using namespace chima;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

struct Netns {
    std::string name = "chimabench" + std::to_string(::getpid());
    Netns() {
        process::run_checked({"ip", "netns", "add", name});
        process::run_checked({"ip", "-n", name, "link", "set", "lo", "up"});
    }
    ~Netns() { process::run({"ip", "netns", "del", name}); }
};

int socket_in(const std::string& ns) {
    int fd = -1;
    std::thread([&] {
        int nsfd = ::open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
        if (nsfd >= 0 && ::setns(nsfd, CLONE_NEWNET) == 0) {
            fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        }
        if (nsfd >= 0)
            ::close(nsfd);
    }).join();
    if (fd < 0)
        throw_errno("socket in " + ns);
    return fd;
}

// Sends every millisecond until the first answer; false after `limit`.
bool wait_first_answer(int fd, std::chrono::milliseconds limit) {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(12345);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    auto deadline = Clock::now() + limit;
    char buf[256];
    while (Clock::now() < deadline) {
        ::sendto(fd, "ping", 4, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
        pollfd pfd{fd, POLLIN, 0};
        if (::poll(&pfd, 1, 1) == 1) {
            ssize_t n = ::recv(fd, buf, sizeof buf, 0);  // ECONNREFUSED until it listens
            if (n > 0)
                return true;
        }
    }
    return false;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void bench(const std::string& kind, int runs, const Netns& ns, const std::string& state_dir) {
    container::BackendOptions options;
    options.state_dir = state_dir;
    std::unique_ptr<container::PodmanService> service;
    if (kind == "podman-service") {
        service = std::make_unique<container::PodmanService>(state_dir);
        options.podman_socket = service->socket();
    }
    auto backend = container::make_backend(service ? "podman" : kind, options);
    auto image = backend->ensure_image({"echo", std::string(CHIMA_FUNCTIONS_DIR) + "/echo"});
    container::FunctionSpec spec;
    spec.name = "chimabench-echo-" + std::to_string(::getpid());
    spec.image = image.ref;
    spec.netns = ns.name;
    std::vector<double> ms;
    for (int i = 0; i < runs; ++i) {
        int fd = socket_in(ns.name);
        // The client runs beside `run`: what the backend does after the function serves
        // (podman's inspect, our records) is not part of the figure.
        auto t0 = Clock::now();
        Clock::time_point t1;
        bool ok = false;
        std::thread client([&] {
            ok = wait_first_answer(fd, 10s);
            t1 = Clock::now();
        });
        backend->run(spec);
        client.join();
        ::close(fd);
        backend->remove(spec.name);
        if (!ok)
            throw RuntimeError(kind + ": no answer within 10 s");
        ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    }
    std::printf("%-14s start to first request served: median %.1f ms (min %.1f, max %.1f, n=%d)\n",
                kind.c_str(), median(ms), *std::min_element(ms.begin(), ms.end()),
                *std::max_element(ms.begin(), ms.end()), runs);
}

}  // namespace

int main(int argc, char** argv) {
    int runs = 20;
    std::vector<std::string> kinds;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--runs" && i + 1 < argc) {
            runs = std::max(1, std::atoi(argv[++i]));
        } else if (a == "--backend" && i + 1 < argc) {
            kinds.push_back(argv[++i]);
        } else {
            std::fprintf(stderr,
                         "usage: %s [--runs N] [--backend podman|podman-service|process]...\n",
                         argv[0]);
            return 2;
        }
    }
    if (kinds.empty())
        kinds = {"podman", "podman-service", "process"};
    try {
        Netns ns;
        std::string state = (std::filesystem::temp_directory_path() / ns.name).string();
        for (const auto& kind : kinds)
            bench(kind, runs, ns, state);
        std::filesystem::remove_all(state);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "chima_bench_containers: error: %s\n", e.what());
        return 1;
    }
    return 0;
}
