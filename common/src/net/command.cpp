#include "command.hpp"

#include "chima/error.hpp"
#include "chima/process/child_process.hpp"

namespace chima::net::detail {
namespace {

std::string joined(const std::vector<std::string>& argv) {
    std::string s;
    for (const auto& a : argv)
        s += (s.empty() ? "" : " ") + a;
    return s;
}

}  // namespace

CommandResult run_command(const std::vector<std::string>& argv) {
    process::Spec spec;
    spec.argv = argv;
    process::Child child = process::Child::spawn(spec);
    process::ExitStatus status = child.wait();
    return {status.code, child.out(), child.err()};
}

std::string run_checked(const std::vector<std::string>& argv) {
    CommandResult r = run_command(argv);
    if (r.exit_code != 0) {
        std::string msg = r.err.empty() ? r.out : r.err;
        while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' '))
            msg.pop_back();
        throw RuntimeError(joined(argv) + ": " + msg);
    }
    return r.out;
}

namespace {
std::string in_netns(const char* tool, const std::string& netns,
                     const std::vector<std::string>& args) {
    std::vector<std::string> argv{tool};
    if (!netns.empty()) {
        argv.push_back("-n");
        argv.push_back(netns);
    }
    argv.insert(argv.end(), args.begin(), args.end());
    return run_checked(argv);
}
}  // namespace

std::string ip(const std::string& netns, const std::vector<std::string>& args) {
    return in_netns("ip", netns, args);
}

std::string tc(const std::string& netns, const std::vector<std::string>& args) {
    return in_netns("tc", netns, args);
}

}  // namespace chima::net::detail
