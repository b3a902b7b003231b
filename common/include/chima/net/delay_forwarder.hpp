// The delay line's data path: a user-space forwarder between two interfaces of one
// namespace (used where the kernel has no netem).
//
// Each frame read on one side (AF_PACKET, recvmmsg, kernel receive timestamp) is queued with
// a departure time and sent out of the other side (sendmmsg, qdisc bypassed) when due:
//   departure = arrival + delay + U(-jitter, +jitter), never earlier than the previous
//               departure (no reordering), then delayed further while the emulated wire of
//               `rate_bps` is still busy with earlier frames; dropped with probability
//               `loss`, or when kMaxQueued frames wait already.
// Offload metadata (checksum-partial, GSO) travels with each frame through PACKET_VNET_HDR,
// so TCP/UDP checksums stay right. Timing: arrival is the kernel's timestamp, the wait is a
// ppoll with 1 ns timer slack, so the added delay is exact to the wake-up latency.
#pragma once

#include <atomic>
#include <cstdint>

#include "chima/net/impairment.hpp"

namespace chima::net {

struct ForwarderConfig {
    int west_ifindex = 0;  // interfaces in the caller's current network namespace
    int east_ifindex = 0;
    Impairment impairment;   // applied west->east and east->west independently
    std::uint64_t seed = 1;  // for loss and jitter
};

struct ForwarderStats {
    std::atomic<std::uint64_t> forwarded{0};
    std::atomic<std::uint64_t> lost{0};         // dropped on purpose (loss)
    std::atomic<std::uint64_t> overflowed{0};   // dropped: queue full
    std::atomic<std::uint64_t> send_failed{0};  // dropped: the kernel refused (link down)
};

inline constexpr std::size_t kMaxQueued = 100000;  // frames per direction

// Opens both sockets; throws RuntimeError if it cannot. Separate from run so a daemon can
// report setup failures before detaching.
class DelayForwarder {
  public:
    explicit DelayForwarder(const ForwarderConfig& config);
    ~DelayForwarder();
    DelayForwarder(const DelayForwarder&) = delete;
    DelayForwarder& operator=(const DelayForwarder&) = delete;

    // Forwards until `stop` is true (checked at least every 50 ms and after each signal).
    void run(const std::atomic<bool>& stop);
    const ForwarderStats& stats() const { return stats_; }

  private:
    struct Impl;
    Impl* impl_;
    ForwarderStats stats_;
};

}  // namespace chima::net
