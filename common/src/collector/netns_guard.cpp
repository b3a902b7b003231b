#include "chima/collector/netns_guard.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include "chima/error.hpp"

namespace chima::collector {

NetnsGuard::NetnsGuard(const std::string& name) {
    previous_fd_ = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (previous_fd_ < 0)
        throw_errno("opening the current network namespace");
    std::string path = "/run/netns/" + name;
    int target = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (target < 0) {
        ::close(previous_fd_);
        throw InputError("no network namespace '" + name + "' (" + path + ")",
                         "list them with 'ip netns'");
    }
    int rc = ::setns(target, CLONE_NEWNET);
    ::close(target);
    if (rc != 0) {
        ::close(previous_fd_);
        throw_errno("entering network namespace " + name);
    }
}

NetnsGuard::~NetnsGuard() {
    ::setns(previous_fd_, CLONE_NEWNET);
    ::close(previous_fd_);
}

}  // namespace chima::collector
