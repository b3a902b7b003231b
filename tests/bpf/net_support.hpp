// Helpers for the tests of chima::net (root): shell out to ip/ping and read the answers.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace chima::test {

struct Shell {
    int status = 0;
    std::string out;
};

// Runs a fixed command line (test code only; the library itself never uses a shell).
inline Shell sh(const std::string& command) {
    Shell r;
    FILE* p = ::popen((command + " 2>&1").c_str(), "r");
    if (!p)
        return {-1, {}};
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
        r.out.append(buf, n);
    int st = ::pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

struct PingResult {
    int sent = 0;
    int received = 0;
    double min_ms = -1;
    double avg_ms = -1;
};

// `ping -q` from a namespace; min_ms and avg_ms stay -1 when nothing came back.
inline PingResult ping(const std::string& netns, const std::string& target, int count,
                       const std::string& interval = "0.02", const std::string& extra = "") {
    Shell s = sh("ip netns exec " + netns + " ping -q -n -c " + std::to_string(count) + " -i " +
                 interval + " -W 1 " + extra + " " + target);
    PingResult r;
    auto stats = s.out.find(" packets transmitted, ");
    if (stats != std::string::npos) {
        auto line = s.out.rfind('\n', stats);
        line = line == std::string::npos ? 0 : line + 1;
        std::sscanf(s.out.c_str() + line, "%d packets transmitted, %d", &r.sent, &r.received);
    }
    auto pos = s.out.find("rtt min/avg/max/mdev = ");
    if (pos != std::string::npos) {
        std::sscanf(s.out.c_str() + pos, "rtt min/avg/max/mdev = %lf/%lf", &r.min_ms, &r.avg_ms);
    }
    return r;
}

}  // namespace chima::test
