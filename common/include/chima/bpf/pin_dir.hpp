// Pin directories under /sys/fs/bpf: creating them, locking them so two tools never change
// the same switch or client at once, opening and removing what is pinned there.
#pragma once

#include <filesystem>
#include <string>

#include "chima/unique_fd.hpp"

namespace chima::bpf {

// Exclusive flock on a pin directory, held for the lifetime of the object. Blocks until the
// lock is free. The directory must exist.
class PinLock {
  public:
    explicit PinLock(const std::filesystem::path& dir);

  private:
    UniqueFd fd_;
};

// Creates `dir` and its parents (on bpffs, a plain mkdir). RuntimeError when the parent is
// not on a BPF filesystem (bpffs not mounted).
void make_pin_dir(const std::filesystem::path& dir);

// Pins `fd` (map or program) at `path`; RuntimeError on failure.
void pin_object(int fd, const std::filesystem::path& path);

// Opens a pinned map or program; RuntimeError naming the path when it is missing.
UniqueFd open_pinned(const std::filesystem::path& path);

// Removes `dir` with everything pinned in it (programs and maps stay alive while a TC filter
// or a program array still uses them). No error when `dir` does not exist.
void remove_pin_dir(const std::filesystem::path& dir);

}  // namespace chima::bpf
