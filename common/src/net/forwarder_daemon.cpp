// start_forwarder_daemon: the delay-line forwarder as a detached process.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>

#include "chima/error.hpp"
#include "chima/net/delay_line.hpp"

namespace chima::net {
namespace {

constexpr int kForwarderRtPriority = 20;

std::atomic<bool> g_stop{false};  // lock-free, so a signal handler may set it

void request_stop(int) {
    g_stop.store(true);
}

void write_all(int fd, const std::string& text) {
    const char* p = text.data();
    size_t left = text.size();
    while (left > 0) {
        ssize_t n = ::write(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        p += n;
        left -= static_cast<size_t>(n);
    }
}

// Runs in the detached grandchild; never returns.
[[noreturn]] void daemon_main(int ns_fd, int report_fd, const ForwarderConfig& config) {
    int status = 0;
    try {
        // Only the report pipe and the namespace survive from the tool's descriptors.
        // Park both above any low number first: either may already sit on 3 or 4.
        int parked_report = ::fcntl(report_fd, F_DUPFD_CLOEXEC, 1000);
        int parked_ns = ::fcntl(ns_fd, F_DUPFD_CLOEXEC, 1000);
        if (parked_report < 0 || parked_ns < 0)
            throw_errno("fcntl(F_DUPFD)");
        report_fd = parked_report;
        if (::dup2(parked_report, 3) < 0 || ::dup2(parked_ns, 4) < 0)
            throw_errno("dup2");
        report_fd = 3;
        ns_fd = 4;
        ::close_range(5, ~0U, 0);
        int null = ::open("/dev/null", O_RDWR);
        for (int fd : {0, 1, 2})
            ::dup2(null, fd);
        if (null > 2)
            ::close(null);

        if (::setns(ns_fd, CLONE_NEWNET) != 0)
            throw_errno("enter the delay-line namespace");
        ::close(ns_fd);
        ::prctl(PR_SET_NAME, "chima-delayline", 0, 0, 0);
        // Real-time priority, best effort: on a busy host (compilers on both cores) a normal
        // task waits milliseconds for a CPU, which would show up as delay error. The loop
        // sleeps until the next departure, and RT throttling keeps 5% for everyone else.
        sched_param rt{};
        rt.sched_priority = kForwarderRtPriority;
        ::sched_setscheduler(0, SCHED_FIFO, &rt);

        struct sigaction sa {};
        sa.sa_handler = request_stop;  // no SA_RESTART: ppoll returns at once
        sigemptyset(&sa.sa_mask);
        for (int s : {SIGTERM, SIGINT, SIGHUP})
            ::sigaction(s, &sa, nullptr);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);  // the tool may have blocked them

        DelayForwarder forwarder(config);
        write_all(report_fd, "ok " + std::to_string(::getpid()));
        ::close(report_fd);
        forwarder.run(g_stop);
    } catch (const std::exception& e) {
        write_all(report_fd, std::string("error ") + e.what());
        status = 1;
    }
    ::_exit(status);
}

}  // namespace

pid_t start_forwarder_daemon(const NetNs& ns, const ForwarderConfig& config) {
    int report[2];
    if (::pipe2(report, O_CLOEXEC) != 0)
        throw_errno("pipe2");
    pid_t middle = ::fork();
    if (middle < 0) {
        ::close(report[0]);
        ::close(report[1]);
        throw_errno("fork");
    }
    if (middle == 0) {
        // The middle child starts a new session and leaves, so the daemon is re-parented to
        // init, has no terminal, and Ctrl-C in the tool's terminal never reaches it.
        ::close(report[0]);
        ::setsid();
        pid_t daemon = ::fork();
        if (daemon == 0)
            daemon_main(ns.fd(), report[1], config);
        ::_exit(daemon < 0 ? 1 : 0);
    }
    ::close(report[1]);
    int status = 0;
    while (::waitpid(middle, &status, 0) < 0 && errno == EINTR) {
    }
    std::string reply;
    char buf[512];
    ssize_t n;
    while ((n = ::read(report[0], buf, sizeof buf)) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        reply.append(buf, static_cast<size_t>(n));
    }
    ::close(report[0]);
    if (reply.rfind("ok ", 0) == 0)
        return static_cast<pid_t>(std::stol(reply.substr(3)));
    if (reply.rfind("error ", 0) == 0) {
        throw RuntimeError("delay-line forwarder in " + ns.name() + ": " + reply.substr(6));
    }
    throw RuntimeError("delay-line forwarder in " + ns.name() + " did not start");
}

}  // namespace chima::net
