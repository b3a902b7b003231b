#include "chima/container/health.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <vector>

#include "chima/error.hpp"

namespace chima::container {
namespace {

int64_t realtime_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

int64_t monotonic_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

int open_pidfd(pid_t pid) {
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

}  // namespace

nlohmann::json to_json(const HealthEvent& e) {
    nlohmann::json j = {{"type", e.type},       {"time_ns", e.time_ns}, {"name", e.name},
                        {"backend", e.backend}, {"id", e.id},           {"pid", e.pid}};
    if (e.type == "exited") {
        j["exit_code"] = e.exit_code;
        j["detect_ms"] = static_cast<double>(e.detect_ns) / 1e6;
    }
    if (!e.message.empty())
        j["message"] = e.message;
    return j;
}

std::string to_json_line(const HealthEvent& e) {
    return to_json(e).dump() + "\n";
}

struct PidfdHealthWatcher::Watched {
    RestartPolicy policy;
    pid_t pid = 0;
    int pidfd = -1;
    std::string id;
    ~Watched() {
        if (pidfd >= 0)
            ::close(pidfd);
    }
};

PidfdHealthWatcher::PidfdHealthWatcher(Backend& backend, Sink sink)
    : backend_(backend), sink_(std::move(sink)) {
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ < 0)
        throw_errno("eventfd");
    thread_ = std::thread([this] { loop(); });
}

PidfdHealthWatcher::~PidfdHealthWatcher() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake();
    thread_.join();
    ::close(wake_fd_);
}

void PidfdHealthWatcher::wake() {
    uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
}

void PidfdHealthWatcher::watch(const std::string& name, RestartPolicy policy) {
    add(name, backend_.inspect(name), policy);
}

void PidfdHealthWatcher::add(const std::string& name, const Instance& inst, RestartPolicy policy) {
    if (inst.state != State::Running || inst.pid <= 0) {
        throw RuntimeError("cannot watch " + name + ": it is " +
                           std::string(to_string(inst.state)));
    }
    auto w = std::make_unique<Watched>();
    w->policy = policy;
    w->pid = inst.pid;
    w->id = inst.id;
    w->pidfd = open_pidfd(inst.pid);
    if (w->pidfd < 0)
        throw_errno("pidfd_open " + std::to_string(inst.pid) + " (" + name + ")");
    {
        std::lock_guard lock(mutex_);
        watched_[name] = std::move(w);
    }
    wake();
}

void PidfdHealthWatcher::unwatch(const std::string& name) {
    {
        std::lock_guard lock(mutex_);
        watched_.erase(name);
    }
    wake();
}

void PidfdHealthWatcher::loop() {
    for (;;) {
        std::vector<pollfd> fds{{wake_fd_, POLLIN, 0}};
        std::vector<std::string> names{""};
        {
            std::lock_guard lock(mutex_);
            if (stopping_)
                return;
            for (const auto& [name, w] : watched_) {
                if (w->pidfd < 0)
                    continue;
                fds.push_back({w->pidfd, POLLIN, 0});
                names.push_back(name);
            }
        }
        int ready = ::poll(fds.data(), fds.size(), -1);
        if (ready < 0)
            continue;  // EINTR
        if (fds[0].revents) {
            uint64_t n;
            (void)!::read(wake_fd_, &n, sizeof n);
        }
        for (size_t i = 1; i < fds.size(); ++i) {
            if (!fds[i].revents)
                continue;
            std::unique_ptr<Watched> w;
            {
                std::lock_guard lock(mutex_);
                auto it = watched_.find(names[i]);
                // Unwatched meanwhile, or replaced by a newer watch of the same name.
                if (it == watched_.end() || it->second->pidfd != fds[i].fd)
                    continue;
                w = std::move(it->second);
                watched_.erase(it);
            }
            handle_exit(names[i], *w);
        }
    }
}

void PidfdHealthWatcher::handle_exit(const std::string& name, Watched& w) {
    int64_t woke = monotonic_ns();
    // The backend may need a moment to record the exit (conmon writes the exit file).
    Instance inst = backend_.inspect(name);
    for (int i = 0; i < 50 && inst.state == State::Running && inst.pid == w.pid; ++i) {
        ::usleep(20000);
        inst = backend_.inspect(name);
    }
    HealthEvent exited;
    exited.type = "exited";
    exited.name = name;
    exited.backend = std::string(backend_.kind());
    exited.id = w.id;
    exited.pid = w.pid;
    exited.exit_code = inst.exit_code;
    exited.time_ns = realtime_ns();
    exited.detect_ns = monotonic_ns() - woke;
    sink_(exited);

    // An unknown exit code (a process that is not our child) counts as a failure.
    bool failed = inst.exit_code != 0;
    if (w.policy != RestartPolicy::OnFailure || !failed || inst.state == State::Missing)
        return;
    HealthEvent restarted;
    restarted.name = name;
    restarted.backend = exited.backend;
    try {
        Instance again = backend_.start(name);
        add(name, again, w.policy);  // watched before anyone hears of the restart
        restarted.type = "restarted";
        restarted.id = again.id;
        restarted.pid = again.pid;
        restarted.time_ns = realtime_ns();
        sink_(restarted);
    } catch (const std::exception& e) {
        restarted.type = "restart-failed";
        restarted.message = e.what();
        restarted.time_ns = realtime_ns();
        sink_(restarted);
    }
}

}  // namespace chima::container
