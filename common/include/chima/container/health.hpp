// Health of running functions: an exit is noticed at once (on this machine a pidfd per
// function process), reported as an event, and the function restarted per its policy.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "chima/container/backend.hpp"

namespace chima::container {

struct HealthEvent {
    // "exited" (the function's process ended), "restarted", "restart-failed".
    std::string type;
    std::string name;
    std::string backend;
    std::string id;         // container id / "pid:N" (after a restart: the new one)
    pid_t pid = 0;          // exited: the process that ended; restarted: the new one
    int exit_code = -1;     // exited: its code (128+N for signal N; -1 unknown)
    int64_t time_ns = 0;    // CLOCK_REALTIME when the event was noticed
    int64_t detect_ns = 0;  // exited: from the pidfd wake-up to the event (inspect included)
    std::string message;    // restart-failed: why
};

// One JSON object per line, with a "type" field (chima-watch reads these).
nlohmann::json to_json(const HealthEvent& event);
std::string to_json_line(const HealthEvent& event);

// Watches instances and reports their health events to a sink. One interface for every
// place an instance runs: the processes of this machine (PidfdHealthWatcher), a remote
// host's agent (chima/remote/http_host.hpp), a host in memory (tests).
class HealthWatcher {
  public:
    using Sink = std::function<void(const HealthEvent&)>;

    virtual ~HealthWatcher() = default;
    // Starts watching a running instance; `policy` says whether the watcher restarts it when
    // it fails. RuntimeError when it is not running (or does not exist).
    virtual void watch(const std::string& name, RestartPolicy policy) = 0;
    // Stops watching it (nothing when it was not watched).
    virtual void unwatch(const std::string& name) = 0;
};

// The instances of a backend of this machine: a pidfd per watched process wakes the
// watcher's thread the moment it exits.
class PidfdHealthWatcher final : public HealthWatcher {
  public:
    // Events go to `sink`, called from the watcher's thread.
    PidfdHealthWatcher(Backend& backend, Sink sink);
    ~PidfdHealthWatcher() override;
    PidfdHealthWatcher(const PidfdHealthWatcher&) = delete;
    PidfdHealthWatcher& operator=(const PidfdHealthWatcher&) = delete;

    void watch(const std::string& name, RestartPolicy policy) override;
    void unwatch(const std::string& name) override;

  private:
    struct Watched;
    void add(const std::string& name, const Instance& inst, RestartPolicy policy);
    void loop();
    void handle_exit(const std::string& name, Watched& w);
    void wake();

    Backend& backend_;
    Sink sink_;
    std::mutex mutex_;
    std::map<std::string, std::unique_ptr<Watched>> watched_;
    int wake_fd_ = -1;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace chima::container
