#include "libbpf_support.hpp"

#include <bpf/bpf.h>
#include <spdlog/spdlog.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "chima/error.hpp"

namespace chima::bpf::detail {
namespace {

int print_to_spdlog(libbpf_print_level level, const char* format, va_list args) {
    char line[1024];
    int n = std::vsnprintf(line, sizeof(line), format, args);
    if (n <= 0)
        return n;
    std::string text(line);
    while (!text.empty() && text.back() == '\n')
        text.pop_back();
    // One level quieter than libbpf's own: its warnings are our debug, its info our trace.
    switch (level) {
        case LIBBPF_WARN:
            spdlog::debug("libbpf: {}", text);
            break;
        default:
            spdlog::trace("libbpf: {}", text);
            break;
    }
    return n;
}

}  // namespace

void route_libbpf_logs() {
    static std::once_flag once;
    std::call_once(once, [] { libbpf_set_print(print_to_spdlog); });
}

std::string libbpf_error(int err) {
    return std::strerror(err < 0 ? -err : err);
}

std::vector<uint8_t> read_percpu(int map_fd, uint32_t key, size_t value_size, size_t* stride,
                                 int* cpus) {
    int n = libbpf_num_possible_cpus();
    if (n <= 0)
        throw RuntimeError("cannot count possible CPUs: " + libbpf_error(n));
    size_t step = (value_size + 7) / 8 * 8;
    std::vector<uint8_t> values(step * static_cast<size_t>(n));
    if (bpf_map_lookup_elem(map_fd, &key, values.data()) != 0) {
        throw_errno("cannot read per-CPU counters (key " + std::to_string(key) + ")");
    }
    *stride = step;
    *cpus = n;
    return values;
}

uint64_t sum_percpu_u64(int map_fd, uint32_t key) {
    size_t stride = 0;
    int cpus = 0;
    auto values = read_percpu(map_fd, key, sizeof(uint64_t), &stride, &cpus);
    uint64_t total = 0;
    for (int cpu = 0; cpu < cpus; ++cpu) {
        uint64_t v = 0;
        std::memcpy(&v, values.data() + stride * cpu, sizeof(v));
        total += v;
    }
    return total;
}

PinRollback::~PinRollback() {
    for (const auto& path : paths_) {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
}

}  // namespace chima::bpf::detail
