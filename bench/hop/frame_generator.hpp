// The traffic source of bench_hop: one frame, sent as fast as one CPU can with AF_PACKET and
// sendmmsg (qdisc bypassed). Over veth the whole path (every hop and the sink) runs in the
// softirq this sender raises on its own CPU, so the send rate is the path's cost per frame.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

namespace chima::bench {

struct GeneratorRun {
    uint64_t sent = 0;     // frames the kernel accepted
    uint64_t refused = 0;  // sendmmsg entries refused (ENOBUFS and the like)
    double seconds = 0;
};

// Sends `frame` out of `ifindex` (in the calling thread's network namespace) for `seconds`
// or until `stop` is set, with the calling thread pinned to `cpu` (-1: not pinned). With
// `fifo`, the thread runs SCHED_FIFO (priority 1) so builds sharing the CPU do not preempt
// the path (the kernel's RT throttling still leaves them 5 %).
GeneratorRun send_frames(int ifindex, const std::vector<uint8_t>& frame, double seconds, int cpu,
                         bool fifo, const std::atomic<bool>& stop);

}  // namespace chima::bench
