// Internals shared by the libbpf wrappers of common/src/bpf (not part of the public API).
#pragma once

#include <bpf/libbpf.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace chima::bpf::detail {

// Routes libbpf's messages into spdlog, one level quieter (warnings -> debug). Idempotent.
void route_libbpf_logs();

// "strerror(-err)" for libbpf's negative error codes.
std::string libbpf_error(int err);

struct ObjectCloser {
    void operator()(bpf_object* obj) const { bpf_object__close(obj); }
};
using ObjectPtr = std::unique_ptr<bpf_object, ObjectCloser>;

// Reads a per-CPU map value at `key` and returns each CPU's copy (`value_size` bytes each,
// rounded up to 8 as the kernel lays them out).
std::vector<uint8_t> read_percpu(int map_fd, uint32_t key, size_t value_size, size_t* stride,
                                 int* cpus);

// Sums the __u64 at `key` of a per-CPU array over all CPUs.
uint64_t sum_percpu_u64(int map_fd, uint32_t key);

// Removes the files listed in `pinned` unless dismissed: cleanup for partially pinned state.
class PinRollback {
  public:
    void add(std::filesystem::path path) { paths_.push_back(std::move(path)); }
    void dismiss() { paths_.clear(); }
    ~PinRollback();

  private:
    std::vector<std::filesystem::path> paths_;
};

}  // namespace chima::bpf::detail
