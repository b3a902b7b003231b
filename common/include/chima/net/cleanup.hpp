// Finding and removing everything of an emulated network from its name alone, so it works
// after a crash and twice in a row: processes living in any of its namespaces (delay lines,
// containers), the namespaces themselves (with every veth in them), and its BPF pin
// directory.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace chima::net {

// Processes whose network namespace is the named one (ours excluded).
std::vector<pid_t> processes_in_netns(const std::string& netns);

// SIGTERM to each, SIGKILL to those still alive after `grace_ms`; returns the pids.
std::vector<pid_t> kill_processes_in_netns(const std::string& netns, int grace_ms = 1000);

struct CleanupReport {
    std::vector<pid_t> processes_killed;
    std::vector<std::string> netns_removed;
    bool pins_removed = false;
    bool nothing_found() const {
        return processes_killed.empty() && netns_removed.empty() && !pins_removed;
    }
};

// Removes every trace of network `net` (see names.hpp); safe to call when nothing is left.
CleanupReport cleanup_network(const std::string& net);

// True if anything of `net` exists (a netns with its prefix or its pin directory).
bool network_exists(const std::string& net);

}  // namespace chima::net
