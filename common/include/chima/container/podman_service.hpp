// A podman API service of our own (`podman system service` on a Unix socket), for as long as
// this object lives. Every `podman run` is a Go program that opens the container store
// before it does anything (20-30 ms of CPU each, several at once on a small host); the
// service opens it once and serves each call as an HTTP request. A long-running tool
// (chima-relocate) starts one up front so a relocation's container starts do not pay it.
//
// The containers are children of their own conmon, not of the service: they keep running
// when it stops. The service gets SIGTERM when the thread that started it ends, however our
// process ends, so it never outlives us.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "chima/process/child_process.hpp"

namespace chima::container {

class PodmanService {
  public:
    // Starts the service on <state_dir>/podman-<pid>-<n>.sock with the project's containers.conf
    // and waits until it answers. RuntimeError (with podman's own words) when it cannot start
    // or does not answer within `ready_timeout`.
    explicit PodmanService(const std::string& state_dir = "/run/chima/containers",
                           std::chrono::milliseconds ready_timeout = std::chrono::seconds(10));
    ~PodmanService();
    PodmanService(const PodmanService&) = delete;
    PodmanService& operator=(const PodmanService&) = delete;

    // What BackendOptions::podman_socket takes.
    const std::string& socket() const { return socket_; }
    pid_t pid() const { return child_ ? child_->pid() : -1; }
    // False once the service has exited (it should not; a tool then starts another).
    bool alive();

  private:
    void stop();  // terminates the service, logs what it said, removes its socket and log

    std::string socket_, log_;
    int log_fd_ = -1;  // the service's stderr, read back for messages (its name is removed)
    std::optional<process::Child> child_;
};

// What a tool's container work runs through: a service when `backend` (a --backend value,
// "auto" resolved here) is podman, unless `command_line` (the tools' --podman-cli) asks for
// one podman process per call. nullptr when no service is wanted, or (with a warning) when
// it cannot start: the command line then does the work, only slower.
std::unique_ptr<PodmanService> podman_service_for(std::string_view backend, bool command_line);

// The --podman-cli flag's help text, the same in every tool.
inline constexpr const char* kPodmanCliHelp =
    "run one podman process per container operation instead of one podman API service for "
    "this run";

}  // namespace chima::container
