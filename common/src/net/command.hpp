// Private to common/src/net: run a helper program (ip, tc) from an argv vector, never a shell,
// through chima::process::Child. The child gets an empty signal mask (our callers block
// SIGINT/SIGTERM while building) and its own process group, so a Ctrl-C on the terminal
// reaches only us: we finish the current step, notice the signal and roll back, instead of
// seeing half-done `ip` commands.
#pragma once

#include <string>
#include <vector>

namespace chima::net::detail {

struct CommandResult {
    int exit_code = 0;  // 128+N when killed by signal N
    std::string out;
    std::string err;
};

// Runs argv[0] (looked up in PATH) and waits for it.
CommandResult run_command(const std::vector<std::string>& argv);

// Runs argv and throws RuntimeError("ip ...: <stderr>") unless it exits 0. Returns stdout.
std::string run_checked(const std::vector<std::string>& argv);

// "ip -n NS args..." (NS empty: the caller's namespace), checked.
std::string ip(const std::string& netns, const std::vector<std::string>& args);

// "tc -n NS args...", checked.
std::string tc(const std::string& netns, const std::vector<std::string>& args);

}  // namespace chima::net::detail
