// Shared by the collector's BPF tests: the loaded program, and one frame through it with
// BPF_PROG_TEST_RUN.
#pragma once

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "chima/collector/collector_program.hpp"
#include "chima/collector/report_encoder.hpp"
#include "root_check.hpp"

namespace chima::test {

struct CollectorHarness {
    collector::CollectorProgram program;

    CollectorHarness() { program.configure(CHIMA_EWMA_ALPHA_ONE >> 3); }

    // The XDP verdict for one frame (the kernel needs at least an Ethernet header).
    int run(const std::vector<std::uint8_t>& frame, int repeat = 1) {
        LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(),
                    .data_size_in = static_cast<std::uint32_t>(frame.size()), .repeat = repeat);
        int rc = bpf_prog_test_run_opts(program.program_fd(), &opts);
        if (rc != 0)
            return -1;
        return static_cast<int>(opts.retval);
    }

    std::optional<collector::SegmentReading> segment(const chima_segment_key& key) {
        for (const auto& r : program.read_segments())
            if (r.key.kind == key.kind && r.key.a == key.a && r.key.b == key.b)
                return r;
        return std::nullopt;
    }
};

// A hop of the stack.
inline chima_int_hop hop(std::uint32_t switch_id, std::uint32_t ingress, std::uint32_t egress) {
    return chima_int_hop{switch_id, ingress, egress};
}

}  // namespace chima::test
