// What the BPF_PROG_TEST_RUN benchmarks (bench_pipeline, bench_slots) share:
//   RestoreHarness  the frame restored before every repetition: bench_restore writes the
//                   original frame back and tail-calls the program under test, so a pipeline
//                   that pops labels sees the same frame in each of the `repeat` runs;
//   PinScope        the benchmark's pin directory, removed whatever happens;
//   bench_switch()  a switch pipeline with ports 1 (loopback) and 2, 3 (never transmitted on).
#pragma once

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "bench_restore.skel.h"
#include "chima/bpf/switch_pipeline.hpp"
#include "chima/error.hpp"
#include "packet.hpp"

namespace chima::bench {

class RestoreHarness {
  public:
    RestoreHarness() : skel_(bench_restore__open_and_load()) {
        if (!skel_)
            throw RuntimeError("the kernel refused the benchmark harness");
    }
    ~RestoreHarness() { bench_restore__destroy(skel_); }
    RestoreHarness(const RestoreHarness&) = delete;
    RestoreHarness& operator=(const RestoreHarness&) = delete;

    int noop_fd() const { return bpf_program__fd(skel_->progs.bench_noop); }

    // Median ns per packet (harness included) over `trials` test runs of `repeat`
    // repetitions; every trial's last verdict must be one of `verdicts`. `all` gets every
    // trial's figure.
    uint32_t median_ns(const test::Bytes& frame, int target_fd,
                       const std::vector<uint32_t>& verdicts, int repeat, int trials,
                       const std::string& what, std::vector<uint32_t>* all = nullptr) {
        set(frame, target_fd);
        test::Bytes out(frame.size() + 256);
        std::vector<uint32_t> ns;
        for (int t = 0; t < trials; ++t) {
            LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(), .data_out = out.data(),
                        .data_size_in = static_cast<uint32_t>(frame.size()),
                        .data_size_out = static_cast<uint32_t>(out.size()), .repeat = repeat);
            if (bpf_prog_test_run_opts(bpf_program__fd(skel_->progs.bench_restore), &opts) != 0)
                throw_errno("test run of " + what);
            if (std::find(verdicts.begin(), verdicts.end(), opts.retval) == verdicts.end())
                throw RuntimeError(what + ": unexpected verdict " + std::to_string(opts.retval));
            ns.push_back(opts.duration);
        }
        if (all)
            *all = ns;
        std::sort(ns.begin(), ns.end());
        return ns[ns.size() / 2];
    }

  private:
    void set(const test::Bytes& frame, int target_fd) {
        struct {
            uint32_t len;
            uint8_t bytes[256];
        } value{};
        if (frame.size() > sizeof value.bytes)
            throw RuntimeError("benchmark frame too long");
        value.len = static_cast<uint32_t>(frame.size());
        std::copy(frame.begin(), frame.end(), value.bytes);
        uint32_t key = 0;
        if (bpf_map_update_elem(bpf_map__fd(skel_->maps.bench_frame), &key, &value, BPF_ANY) ||
            bpf_map_update_elem(bpf_map__fd(skel_->maps.bench_target), &key, &target_fd, BPF_ANY))
            throw_errno("cannot set up the benchmark harness");
    }

    bench_restore* skel_;
};

// The benchmark's pins under /sys/fs/bpf/chima-bench-NAME-PID, removed on every exit path.
struct PinScope {
    std::filesystem::path root;
    explicit PinScope(const std::string& name)
        : root(std::filesystem::path("/sys/fs/bpf") /
               ("chima-bench-" + name + "-" + std::to_string(::getpid()))) {}
    ~PinScope() {
        std::error_code ec;
        std::filesystem::remove_all(root, ec);
    }
    PinScope(const PinScope&) = delete;
    PinScope& operator=(const PinScope&) = delete;
};

// A switch pipeline pinned under `dir` with port 1 on loopback (where test runs arrive) and
// ports 2 and 3 on interfaces that are never transmitted on (test runs only report the
// redirect).
inline bpf::SwitchPipeline bench_switch(const std::filesystem::path& dir) {
    auto sw = bpf::SwitchPipeline::create(dir);
    for (uint32_t port = 1; port <= 3; ++port) {
        sw.set_port(port, {.ifindex = port == 1 ? 1u : 100 + port,
                           .own_mac = Mac{0x020000000100ull + port},
                           .peer_mac = Mac{0x020000000000ull + port}});
    }
    return sw;
}

}  // namespace chima::bench
