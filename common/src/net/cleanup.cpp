#include "chima/net/cleanup.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <thread>

#include <spdlog/spdlog.h>

#include "chima/error.hpp"
#include "chima/net/names.hpp"
#include "chima/net/netns.hpp"

namespace chima::net {
namespace fs = std::filesystem;

std::vector<pid_t> processes_in_netns(const std::string& netns) {
    struct stat target {};
    if (::stat((std::string(kNetnsDir) + "/" + netns).c_str(), &target) != 0)
        return {};
    std::vector<pid_t> pids;
    const pid_t self = ::getpid();
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/proc", ec)) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit))
            continue;
        pid_t pid = static_cast<pid_t>(std::atoi(name.c_str()));
        if (pid == self)
            continue;
        struct stat st {};
        if (::stat((entry.path() / "ns/net").c_str(), &st) != 0)
            continue;  // gone or kernel
        if (st.st_ino == target.st_ino && st.st_dev == target.st_dev)
            pids.push_back(pid);
    }
    return pids;
}

std::vector<pid_t> kill_processes_in_netns(const std::string& netns, int grace_ms) {
    std::vector<pid_t> pids = processes_in_netns(netns);
    for (pid_t p : pids)
        ::kill(p, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_ms);
    while (!processes_in_netns(netns).empty() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    for (pid_t p : processes_in_netns(netns)) {
        spdlog::warn("process {} in {} ignored SIGTERM; killing it", p, netns);
        ::kill(p, SIGKILL);
    }
    // A dead process leaves the namespace at once but stays listed until its parent (init,
    // for our daemons) reaps it; wait a little so callers see it gone from ps as well.
    // Reap it ourselves when we are its parent (a subreaper, e.g. a test).
    auto reaped = [&] {
        return std::all_of(pids.begin(), pids.end(), [](pid_t p) {
            ::waitpid(p, nullptr, WNOHANG);
            return ::kill(p, 0) != 0;
        });
    };
    deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(3 * grace_ms);
    while (!reaped() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return pids;
}

CleanupReport cleanup_network(const std::string& net) {
    check_net_name(net);
    CleanupReport report;
    const auto names = NetNs::list(netns_prefix(net));
    for (const auto& ns : names) {
        auto killed = kill_processes_in_netns(ns);
        report.processes_killed.insert(report.processes_killed.end(), killed.begin(), killed.end());
    }
    for (const auto& ns : names) {
        if (NetNs::remove(ns))
            report.netns_removed.push_back(ns);
    }
    std::error_code ec;
    const fs::path pins = pin_dir(net);
    if (fs::exists(pins, ec)) {
        fs::remove_all(pins, ec);
        if (ec)
            throw RuntimeError("cannot remove " + pins.string() + ": " + ec.message());
        report.pins_removed = true;
    }
    fs::remove(kPinRoot, ec);  // only if empty: other networks keep theirs
    return report;
}

bool network_exists(const std::string& net) {
    std::error_code ec;
    return !NetNs::list(netns_prefix(net)).empty() || fs::exists(pin_dir(net), ec);
}

}  // namespace chima::net
