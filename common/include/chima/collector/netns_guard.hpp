// Enters a named network namespace (/run/netns/NAME) for the lifetime of the object and
// returns to the previous one on destruction. Only safe while one thread runs.
#pragma once

#include <string>

namespace chima::collector {

class NetnsGuard {
  public:
    explicit NetnsGuard(const std::string& name);
    ~NetnsGuard();
    NetnsGuard(const NetnsGuard&) = delete;
    NetnsGuard& operator=(const NetnsGuard&) = delete;

  private:
    int previous_fd_ = -1;
};

}  // namespace chima::collector
