#include "chima/container/podman_service.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <atomic>
#include <filesystem>
#include <thread>

#include <spdlog/spdlog.h>

#include "chima/container/backend.hpp"
#include "chima/error.hpp"
#include "backends.hpp"
#include "unix_http_client.hpp"

namespace chima::container {
namespace {

using namespace std::chrono_literals;

// What the service wrote so far to its (unlinked) log, from the start.
std::string read_all(int fd) {
    std::string s;
    char buf[4096];
    off_t at = 0;
    for (ssize_t n; fd >= 0 && (n = ::pread(fd, buf, sizeof buf, at)) > 0; at += n)
        s.append(buf, static_cast<size_t>(n));
    while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
        s.pop_back();
    return s;
}

// The sockets and logs of services whose tool was killed before it could remove them
// (podman-<pid>-<n>.*, the pid no longer running).
void remove_stale_files(const std::string& state_dir) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(state_dir, ec)) {
        std::string name = entry.path().filename().string();
        if (name.rfind("podman-", 0) != 0)
            continue;
        pid_t owner = static_cast<pid_t>(std::atol(name.c_str() + 7));
        if (owner > 0 && ::kill(owner, 0) != 0 && errno == ESRCH)
            std::filesystem::remove(entry.path(), ec);
    }
}

}  // namespace

PodmanService::PodmanService(const std::string& state_dir,
                             std::chrono::milliseconds ready_timeout) {
    if (!process::find_program("podman")) {
        throw RuntimeError("podman service: podman is not installed",
                           "install it (scripts/setup.sh) or use --backend process");
    }
    std::string conf = write_containers_conf(state_dir);
    remove_stale_files(state_dir);
    static std::atomic<int> made{0};  // several services in one process get their own files
    std::string base =
        state_dir + "/podman-" + std::to_string(::getpid()) + "-" + std::to_string(made++);
    socket_ = base + ".sock";
    log_ = base + ".log";
    std::filesystem::remove(socket_);
    std::filesystem::remove(log_);
    process::Spec spec;
    // --time 0: no idle exit; it lives exactly as long as we do.
    spec.argv = {"podman", "system", "service", "--time", "0", "unix://" + socket_};
    spec.env = {{"CONTAINERS_CONF", conf}};
    spec.out = process::Output::null();
    spec.err = process::Output::append_to(log_);
    spec.die_with_parent = true;
    child_.emplace(process::Child::spawn(spec));
    // The service has the log open now: we keep a descriptor to read it and remove its name,
    // so no log is left behind however this process ends.
    log_fd_ = ::open(log_.c_str(), O_RDONLY | O_CLOEXEC);
    std::filesystem::remove(log_);

    detail::UnixHttpClient client(socket_);
    const auto deadline = std::chrono::steady_clock::now() + ready_timeout;
    while (true) {
        if (auto status = child_->poll()) {
            std::string said = read_all(log_fd_);
            stop();
            throw RuntimeError("podman system service exited (" + status->describe() + ")" +
                               (said.empty() ? "" : ": " + said));
        }
        if (std::filesystem::exists(socket_)) {
            try {
                if (client.request("GET", std::string(detail::kLibpodApi) + "/_ping", {}, 1s)
                        .status == 200)
                    return;
            } catch (const RuntimeError&) {
                // listening not yet
            }
        }
        if (std::chrono::steady_clock::now() > deadline) {
            stop();
            throw RuntimeError("podman system service does not answer on " + socket_ + " within " +
                               std::to_string(ready_timeout.count()) + " ms");
        }
        std::this_thread::sleep_for(5ms);
    }
}

PodmanService::~PodmanService() {
    stop();
}

bool PodmanService::alive() {
    return child_ && !child_->poll();
}

void PodmanService::stop() {
    if (child_) {
        child_->terminate(2s);
        child_.reset();
    }
    if (std::string said = read_all(log_fd_); !said.empty())
        spdlog::debug("podman API service said: {}",
                      said.substr(said.size() > 2000 ? said.size() - 2000 : 0));
    if (log_fd_ >= 0)
        ::close(log_fd_);
    log_fd_ = -1;
    std::error_code ignored;
    std::filesystem::remove(socket_, ignored);
    std::filesystem::remove(log_, ignored);
}

std::unique_ptr<PodmanService> podman_service_for(std::string_view backend, bool command_line) {
    std::string kind = backend == "auto" ? detect_backend() : std::string(backend);
    if (kind != "podman" || command_line)
        return nullptr;
    try {
        auto service = std::make_unique<PodmanService>();
        spdlog::debug("podman API service {} on {}", service->pid(), service->socket());
        return service;
    } catch (const std::exception& e) {
        // Slower, not wrong: every operation then runs its own podman process.
        spdlog::warn("{}; running podman once per container operation instead", e.what());
        return nullptr;
    }
}

}  // namespace chima::container
