// `ip` commands in bulk: one `ip -batch` process per namespace instead of one `ip` process
// per command (a process spawn costs milliseconds; plumbing a function or relocating
// writes dozens).
#pragma once

#include <string>
#include <vector>

namespace chima::net {

// Runs the `ip` commands (each without the leading "ip", e.g. "link set eth0 up") in
// network namespace `netns` (a full name under /run/netns), in order, in one process.
// Throws RuntimeError with ip's message when one fails (the later ones do not run).
void run_ip_batch(const std::string& netns, const std::vector<std::string>& commands);

struct Neighbour {
    std::string ip;
    std::string mac;
};

// `ip neigh replace IP lladdr MAC dev DEV nud permanent` for each entry, in one batch.
void add_neighbours(const std::string& netns, const std::string& dev,
                    const std::vector<Neighbour>& entries);

}  // namespace chima::net
