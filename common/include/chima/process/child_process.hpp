// Child processes from an argv vector (never a shell): spawn into an optional network
// namespace, capture or redirect output, wait with a timeout, and kill what is still running
// when the owner goes away. Used to run podman, ip, tc, clang and the function processes.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace chima::process {

// Where a child's stdout or stderr goes.
struct Output {
    enum class Mode { Capture, Inherit, Null, AppendFile };
    Mode mode = Mode::Capture;
    std::string path;  // AppendFile only

    static Output capture() { return {}; }
    static Output inherit() { return {Mode::Inherit, {}}; }
    static Output null() { return {Mode::Null, {}}; }
    static Output append_to(std::string file) { return {Mode::AppendFile, std::move(file)}; }
};

struct Spec {
    std::vector<std::string> argv;  // argv[0] is searched in PATH when it has no '/'
    std::vector<std::pair<std::string, std::string>> env;  // set over the inherited environment
    bool clear_env = false;  // start from an empty environment instead
    std::string netns_path;  // join this network namespace before exec (empty: ours)
    std::string cwd;         // empty: ours
    Output out, err;
    // A new session instead of just a new process group: the child outlives our terminal.
    bool new_session = false;
    // SIGTERM to the child when the thread that spawned it ends, however it ends (a daemon
    // we start for our own lifetime must not outlive a SIGKILL of ours). Spawn such a child
    // from a thread that lives as long as the child should.
    bool die_with_parent = false;
    // Least privilege, applied after joining `netns_path` (which needs CAP_SYS_ADMIN):
    // PR_SET_NO_NEW_PRIVS, and the capability bounding, inheritable and ambient sets cut to
    // these capability numbers (chima/capabilities.hpp), so the program runs with no other
    // capability even as root.
    bool no_new_privileges = false;
    std::optional<std::vector<int>> keep_capabilities;
};

struct ExitStatus {
    int code = 0;    // exit code, or 128 + signal when killed by one
    int signal = 0;  // the signal that killed it, 0 when it exited
    bool ok() const { return code == 0; }
    std::string describe() const;  // "exit code 3" / "killed by SIGKILL"
};

// A running child, killed (SIGKILL to its process group) and reaped on destruction unless
// it was waited for or released.
class Child {
  public:
    // Throws RuntimeError when the program cannot be found or started (names the step).
    static Child spawn(const Spec& spec);

    Child(Child&& other) noexcept;
    Child& operator=(Child&& other) noexcept;
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    ~Child();

    pid_t pid() const { return pid_; }
    // A pidfd: readable when the child has exited (poll it to watch many children).
    int pidfd() const { return pidfd_; }

    // Waits up to `timeout` for the exit while collecting captured output; nullopt when the
    // child is still running then. The status is kept: later calls return it again.
    std::optional<ExitStatus> wait_for(std::chrono::milliseconds timeout);
    ExitStatus wait();
    // Without blocking: the status when the child has exited.
    std::optional<ExitStatus> poll() { return wait_for(std::chrono::milliseconds(0)); }

    // Sends `sig` to the child's process group (the child and what it started).
    void signal(int sig);
    // SIGTERM, then SIGKILL after `grace`; returns the exit status.
    ExitStatus terminate(std::chrono::milliseconds grace = std::chrono::seconds(2));
    // Gives up ownership: the process keeps running after this object is gone. Returns its pid.
    pid_t release();

    const std::string& out() const { return out_; }
    const std::string& err() const { return err_; }

  private:
    Child() = default;
    void drain();
    void close_fds();

    pid_t pid_ = -1;
    int pidfd_ = -1;
    int out_fd_ = -1, err_fd_ = -1;
    std::string out_, err_;
    std::optional<ExitStatus> status_;
};

struct Result {
    ExitStatus status;
    std::string out, err;
    bool timed_out = false;  // killed after the timeout
};

// Runs to completion (killing it after `timeout`).
Result run(const Spec& spec, std::chrono::milliseconds timeout = std::chrono::seconds(60));
Result run(const std::vector<std::string>& argv,
           std::chrono::milliseconds timeout = std::chrono::seconds(60));

// Runs and returns stdout; RuntimeError "<command>: <stderr or status>" unless it exits 0.
std::string run_checked(const Spec& spec,
                        std::chrono::milliseconds timeout = std::chrono::seconds(60));
std::string run_checked(const std::vector<std::string>& argv,
                        std::chrono::milliseconds timeout = std::chrono::seconds(60));

// "prog arg1 'arg two'": for messages only, never executed.
std::string format_command(const std::vector<std::string>& argv);

// The full path of `program` in PATH (or itself when it has a '/'); nullopt when not found.
std::optional<std::string> find_program(const std::string& program);

}  // namespace chima::process
