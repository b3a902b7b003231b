// Two tools must never change one network at once: each holds an exclusive flock(2) on the
// network's lock file while it does (see docs/architecture.md, Crash safety). The kernel
// drops the lock with its process, so a killed tool never leaves the network locked.
#pragma once

#include <string>

#include "chima/unique_fd.hpp"

namespace chima {

// The directory of the run-time records of the networks this host drives:
// $CHIMA_RUN_DIR, else /run/chima.
std::string run_dir();

// <run_dir>/<net>, created when missing.
std::string network_run_dir(const std::string& net);

// An exclusive flock on `path` (created when missing), held until destruction. Waits for a
// holder to finish, saying once that it waits and for what (`what`, e.g. "network lab").
class FileLock {
  public:
    FileLock(const std::string& path, const std::string& what);
    const std::string& path() const { return path_; }

  private:
    std::string path_;
    UniqueFd fd_;
};

// The lock of network `net`: <run_dir>/<net>/lock.
FileLock lock_network(const std::string& net);

}  // namespace chima
