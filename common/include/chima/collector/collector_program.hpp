// The collector's XDP program in the kernel, owned by one object: load (skeleton),
// configure (alpha, port, watched sections), attach to an interface, read its maps, and
// consume its ring buffer. Everything it creates is released by the destructors.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "chima/collector.h"

struct collector;  // the bpftool skeleton (collector.skel.h)
struct ring_buffer;

namespace chima::collector {

// One segment as the kernel holds it, in nanoseconds.
struct SegmentReading {
    chima_segment_key key{};
    double latency_ns = 0;
    double jitter_ns = 0;
    std::uint64_t samples = 0;
    std::uint64_t last_update_ns = 0;  // CLOCK_MONOTONIC
};

// The per-CPU counters summed over CPUs.
struct CollectorCounters {
    std::uint64_t reports = 0;
    std::array<std::uint64_t, CHIMA_REPORT_STATUS_COUNT> malformed{};
    std::uint64_t samples = 0;
    std::uint64_t unavailable_samples = 0;
    std::uint64_t segments_full = 0;
    std::uint64_t events_lost = 0;
};

struct SwitchSequence {
    std::uint32_t switch_id = 0;
    std::uint64_t reports = 0;
    std::uint64_t gaps = 0;
};

// A watched section as the kernel stores it (ids start at 1).
struct SectionThresholds {
    std::uint32_t id = 0;
    std::uint64_t latency_threshold_ns = 0;  // 0 = not watched
    std::uint64_t jitter_threshold_ns = 0;
    std::vector<chima_segment_key> segments;
};

enum class XdpMode { Auto, Generic, Native };

class CollectorProgram {
  public:
    // Opens and loads the program (the kernel verifies it here).
    CollectorProgram();
    ~CollectorProgram();
    CollectorProgram(const CollectorProgram&) = delete;
    CollectorProgram& operator=(const CollectorProgram&) = delete;

    // alpha as a 32.32 fraction (alpha_to_q32), UDP destination port of reports.
    void configure(std::uint64_t alpha_q32, std::uint16_t udp_port = CHIMA_INT_REPORT_UDP_PORT);

    // Replaces every watched section. Throws InputError when a section has more than
    // CHIMA_SECTION_MAX_SEGMENTS segments, a segment is in more than
    // CHIMA_SEGMENT_MAX_SECTIONS sections, or there are too many sections.
    void set_sections(const std::vector<SectionThresholds>& sections);

    // Attaches to `ifindex` in the current network namespace; detaches on destruction
    // (or detach()). The attachment is a BPF link: nothing stays behind if we die.
    void attach(int ifindex, XdpMode mode = XdpMode::Auto);
    void detach();
    bool attached() const { return link_fd_ >= 0; }

    std::vector<SegmentReading> read_segments() const;
    CollectorCounters read_counters() const;
    std::vector<SwitchSequence> read_sequences() const;

    int program_fd() const;
    int events_map_fd() const;
    int segments_map_fd() const;

  private:
    ::collector* skel_ = nullptr;
    int link_fd_ = -1;
    mutable std::size_t last_segment_count_ = 0;
};

// Consumes the program's ring buffer; `on_event` runs on the polling thread.
class EventStream {
  public:
    using Handler = std::function<void(const chima_collector_event&)>;
    EventStream(const CollectorProgram& program, Handler on_event);
    ~EventStream();
    EventStream(const EventStream&) = delete;
    EventStream& operator=(const EventStream&) = delete;

    // Waits up to timeout_ms for events and handles all that are ready. Returns how many
    // were handled; -1 when interrupted by a signal.
    int poll(int timeout_ms);

  private:
    static int trampoline(void* self, void* data, std::size_t size);
    Handler on_event_;
    ring_buffer* rb_ = nullptr;
};

}  // namespace chima::collector
