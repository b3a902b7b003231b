#include "chima/process/child_process.hpp"

#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>

#include "chima/error.hpp"
#include "chima/unique_fd.hpp"

extern char** environ;

namespace chima::process {
namespace {

using Clock = std::chrono::steady_clock;

void make_pipe(UniqueFd& rd, UniqueFd& wr) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
        throw_errno("pipe2");
    rd.reset(fds[0]);
    wr.reset(fds[1]);
}

// The fd a child's stream is connected to (the write end of a pipe, /dev/null, a file), or
// -1 to inherit ours. `read_end` receives the parent's end when capturing.
int open_target(const Output& o, UniqueFd& holder, UniqueFd& read_end) {
    switch (o.mode) {
        case Output::Mode::Inherit:
            return -1;
        case Output::Mode::Null:
            holder.reset(::open("/dev/null", O_WRONLY | O_CLOEXEC));
            if (!holder)
                throw_errno("open /dev/null");
            return holder.get();
        case Output::Mode::AppendFile:
            holder.reset(::open(o.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
            if (!holder)
                throw_errno("open " + o.path);
            return holder.get();
        case Output::Mode::Capture:
            make_pipe(read_end, holder);
            return holder.get();
    }
    return -1;
}

// The environment block: ours (unless cleared) with the spec's variables set over it.
std::vector<std::string> build_env(const Spec& spec) {
    std::map<std::string, std::string> vars;
    if (!spec.clear_env) {
        for (char** e = environ; e && *e; ++e) {
            std::string entry = *e;
            auto eq = entry.find('=');
            if (eq != std::string::npos)
                vars[entry.substr(0, eq)] = entry.substr(eq + 1);
        }
    }
    for (const auto& [k, v] : spec.env)
        vars[k] = v;
    std::vector<std::string> out;
    out.reserve(vars.size());
    for (const auto& [k, v] : vars)
        out.push_back(k + "=" + v);
    return out;
}

// Reported by the child through the exec-status pipe when a step before exec fails.
struct ChildFailure {
    int step;
    int err;
};
enum Step : int {
    kSetsid = 1,
    kDeathSignal,
    kSetns,
    kDup,
    kChdir,
    kCapabilities,
    kNoNewPrivs,
    kExec
};

const char* step_name(int step) {
    switch (step) {
        case kSetsid:
            return "setsid";
        case kDeathSignal:
            return "set the parent-death signal";
        case kSetns:
            return "join network namespace";
        case kDup:
            return "redirect output";
        case kChdir:
            return "chdir";
        case kCapabilities:
            return "drop capabilities";
        case kNoNewPrivs:
            return "set no-new-privileges";
        default:
            return "exec";
    }
}

// In the child, before exec: every capability outside `keep` leaves the bounding set (so
// exec, which gives root the bounding set, grants no other) and the inheritable and ambient
// sets. Only syscalls; false with errno on a failure.
bool limit_capabilities(uint64_t keep) {
    for (int cap = 0; cap < 64; ++cap) {
        if (keep & (uint64_t{1} << cap))
            continue;
        if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0 || errno == EINVAL)
            continue;  // EINVAL: past the kernel's last capability
        // EPERM: we lack CAP_SETPCAP, so we are not root and hold no capability to pass on;
        // no-new-privileges keeps the program from gaining any.
        if (errno == EPERM)
            break;
        return false;
    }
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
        return false;
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (::syscall(SYS_capget, &header, data) != 0)
        return false;
    data[0].inheritable &= static_cast<uint32_t>(keep);
    data[1].inheritable &= static_cast<uint32_t>(keep >> 32);
    return ::syscall(SYS_capset, &header, data) == 0;
}

ExitStatus decode(int wstatus) {
    ExitStatus s;
    if (WIFSIGNALED(wstatus)) {
        s.signal = WTERMSIG(wstatus);
        s.code = 128 + s.signal;
    } else {
        s.code = WEXITSTATUS(wstatus);
    }
    return s;
}

int pidfd_open(pid_t pid) {
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

}  // namespace

std::string ExitStatus::describe() const {
    if (signal != 0) {
        const char* name = ::sigabbrev_np(signal);
        return std::string("killed by SIG") + (name ? name : std::to_string(signal).c_str());
    }
    return "exit code " + std::to_string(code);
}

std::optional<std::string> find_program(const std::string& program) {
    if (program.empty())
        return std::nullopt;
    if (program.find('/') != std::string::npos) {
        if (::access(program.c_str(), X_OK) == 0)
            return program;
        return std::nullopt;
    }
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    size_t start = 0;
    while (start <= dirs.size()) {
        size_t end = dirs.find(':', start);
        if (end == std::string::npos)
            end = dirs.size();
        std::string dir = dirs.substr(start, end - start);
        std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
        struct stat st {};
        if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
            ::access(candidate.c_str(), X_OK) == 0) {
            return candidate;
        }
        start = end + 1;
    }
    return std::nullopt;
}

std::string format_command(const std::vector<std::string>& argv) {
    std::string s;
    for (const auto& a : argv) {
        if (!s.empty())
            s += ' ';
        bool plain = !a.empty() && a.find_first_of(" \t\n'\"\\$`*?;&|<>()") == std::string::npos;
        if (plain) {
            s += a;
        } else {
            s += '\'';
            for (char c : a)
                s += (c == '\'') ? std::string("'\\''") : std::string(1, c);
            s += '\'';
        }
    }
    return s;
}

Child Child::spawn(const Spec& spec) {
    if (spec.argv.empty())
        throw RuntimeError("cannot start a process: empty command");
    auto program = find_program(spec.argv[0]);
    if (!program) {
        throw RuntimeError("cannot run " + spec.argv[0] + ": not found in PATH");
    }
    // Everything the child needs is prepared here: after fork only syscalls are made.
    std::vector<std::string> env = build_env(spec);
    std::vector<char*> envp, argv;
    for (auto& e : env)
        envp.push_back(e.data());
    envp.push_back(nullptr);
    for (const auto& a : spec.argv)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);

    UniqueFd netns;
    if (!spec.netns_path.empty()) {
        netns.reset(::open(spec.netns_path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!netns)
            throw_errno("open network namespace " + spec.netns_path);
    }
    UniqueFd out_target, err_target, out_read, err_read, stdin_null;
    int out_fd = open_target(spec.out, out_target, out_read);
    int err_fd = open_target(spec.err, err_target, err_read);
    stdin_null.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!stdin_null)
        throw_errno("open /dev/null");
    UniqueFd status_read, status_write;
    make_pipe(status_read, status_write);

    uint64_t keep_mask = 0;
    if (spec.keep_capabilities) {
        for (int cap : *spec.keep_capabilities)
            if (cap >= 0 && cap < 64)
                keep_mask |= uint64_t{1} << cap;
    }

    const pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0)
        throw_errno("fork " + spec.argv[0]);
    if (pid == 0) {
        auto fail = [&](int step) {
            ChildFailure f{step, errno};
            (void)!::write(status_write.get(), &f, sizeof f);
            ::_exit(127);
        };
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::signal(SIGPIPE, SIG_DFL);
        if (spec.new_session) {
            if (::setsid() < 0)
                fail(kSetsid);
        } else {
            ::setpgid(0, 0);
        }
        if (spec.die_with_parent) {
            if (::prctl(PR_SET_PDEATHSIG, SIGTERM) != 0)
                fail(kDeathSignal);
            if (::getppid() != parent)  // the parent went before the prctl took effect
                ::_exit(128 + SIGTERM);
        }
        if (netns.get() >= 0 && ::setns(netns.get(), CLONE_NEWNET) != 0)
            fail(kSetns);
        if (::dup2(stdin_null.get(), 0) < 0)
            fail(kDup);
        if (out_fd >= 0 && ::dup2(out_fd, 1) < 0)
            fail(kDup);
        if (err_fd >= 0 && ::dup2(err_fd, 2) < 0)
            fail(kDup);
        if (!spec.cwd.empty() && ::chdir(spec.cwd.c_str()) != 0)
            fail(kChdir);
        if (spec.keep_capabilities && !limit_capabilities(keep_mask))
            fail(kCapabilities);
        if (spec.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
            fail(kNoNewPrivs);
        ::execve(program->c_str(), argv.data(), envp.data());
        fail(kExec);
    }
    // Also set the group from here, so signalling the group works even before the child ran.
    if (!spec.new_session)
        ::setpgid(pid, pid);
    status_write.reset();  // the child holds the only write end now: EOF when it execs
    ChildFailure failure{};
    ssize_t n;
    do {
        n = ::read(status_read.get(), &failure, sizeof failure);
    } while (n < 0 && errno == EINTR);

    Child child;
    child.pid_ = pid;
    child.out_fd_ = out_read.release();
    child.err_fd_ = err_read.release();
    for (int fd : {child.out_fd_, child.err_fd_}) {
        if (fd >= 0)
            ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    }
    if (n == static_cast<ssize_t>(sizeof failure)) {
        child.wait();
        throw RuntimeError("cannot run " + format_command(spec.argv) + ": " +
                           step_name(failure.step) + ": " + std::strerror(failure.err));
    }
    child.pidfd_ = pidfd_open(pid);
    if (child.pidfd_ < 0)
        throw_errno("pidfd_open");
    ::fcntl(child.pidfd_, F_SETFD, FD_CLOEXEC);
    return child;
}

Child::Child(Child&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)),
      pidfd_(std::exchange(o.pidfd_, -1)),
      out_fd_(std::exchange(o.out_fd_, -1)),
      err_fd_(std::exchange(o.err_fd_, -1)),
      out_(std::move(o.out_)),
      err_(std::move(o.err_)),
      status_(std::move(o.status_)) {}

Child& Child::operator=(Child&& o) noexcept {
    if (this != &o) {
        this->~Child();
        new (this) Child(std::move(o));
    }
    return *this;
}

Child::~Child() {
    if (pid_ > 0 && !status_) {
        ::kill(-pid_, SIGKILL);
        ::kill(pid_, SIGKILL);
        int ws;
        while (::waitpid(pid_, &ws, 0) < 0 && errno == EINTR) {
        }
    }
    close_fds();
}

void Child::close_fds() {
    for (int* fd : {&pidfd_, &out_fd_, &err_fd_}) {
        if (*fd >= 0)
            ::close(*fd);
        *fd = -1;
    }
}

// Reads what the capture pipes hold now (they are non-blocking); closes them at EOF.
void Child::drain() {
    char buf[8192];
    std::array<std::pair<int*, std::string*>, 2> pipes{{{&out_fd_, &out_}, {&err_fd_, &err_}}};
    for (auto [fd, sink] : pipes) {
        while (*fd >= 0) {
            ssize_t n = ::read(*fd, buf, sizeof buf);
            if (n > 0) {
                sink->append(buf, static_cast<size_t>(n));
                continue;
            }
            if (n < 0 && errno == EINTR)
                continue;
            if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
                ::close(*fd);
                *fd = -1;
            }
            break;
        }
    }
}

std::optional<ExitStatus> Child::wait_for(std::chrono::milliseconds timeout) {
    if (status_)
        return status_;
    if (pid_ <= 0)
        return std::nullopt;
    auto deadline = Clock::now() + timeout;
    for (;;) {
        // pidfd first: once the child has exited we read what is left and stop, even when a
        // grandchild (a daemon it started) still holds the pipes open.
        std::array<pollfd, 3> fds{pollfd{pidfd_, POLLIN, 0}, pollfd{out_fd_, POLLIN, 0},
                                  pollfd{err_fd_, POLLIN, 0}};
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        int ms = static_cast<int>(std::max<int64_t>(0, left.count()));
        int ready = ::poll(fds.data(), fds.size(), pidfd_ >= 0 ? ms : std::min(ms, 10));
        if (ready < 0 && errno != EINTR)
            throw_errno("poll");
        drain();
        int ws = 0;
        pid_t r = ::waitpid(pid_, &ws, WNOHANG);
        if (r == pid_) {
            drain();
            status_ = decode(ws);
            close_fds();
            return status_;
        }
        if (r < 0 && errno != EINTR)
            throw_errno("waitpid");
        if (Clock::now() >= deadline)
            return std::nullopt;
    }
}

ExitStatus Child::wait() {
    for (;;) {
        if (auto s = wait_for(std::chrono::hours(1)))
            return *s;
    }
}

void Child::signal(int sig) {
    if (pid_ <= 0 || status_)
        return;
    if (::kill(-pid_, sig) != 0)
        ::kill(pid_, sig);
}

ExitStatus Child::terminate(std::chrono::milliseconds grace) {
    signal(SIGTERM);
    if (auto s = wait_for(grace))
        return *s;
    signal(SIGKILL);
    return wait();
}

pid_t Child::release() {
    pid_t pid = pid_;
    pid_ = -1;
    close_fds();
    return pid;
}

Result run(const Spec& spec, std::chrono::milliseconds timeout) {
    Child child = Child::spawn(spec);
    Result result;
    auto status = child.wait_for(timeout);
    if (!status) {
        result.timed_out = true;
        child.signal(SIGKILL);
        status = child.wait();
    }
    result.status = *status;
    result.out = child.out();
    result.err = child.err();
    return result;
}

Result run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
    Spec spec;
    spec.argv = argv;
    return run(spec, timeout);
}

std::string run_checked(const Spec& spec, std::chrono::milliseconds timeout) {
    Result r = run(spec, timeout);
    if (r.timed_out) {
        throw RuntimeError(format_command(spec.argv) + ": no result within " +
                           std::to_string(timeout.count()) + " ms (killed)");
    }
    if (!r.status.ok()) {
        std::string why = r.err;
        while (!why.empty() && (why.back() == '\n' || why.back() == ' '))
            why.pop_back();
        if (why.empty())
            why = r.status.describe();
        throw RuntimeError(format_command(spec.argv) + ": " + why);
    }
    return r.out;
}

std::string run_checked(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
    Spec spec;
    spec.argv = argv;
    return run_checked(spec, timeout);
}

}  // namespace chima::process
