// Silence is a fault: a watched segment whose telemetry stops (a cut link, a dead switch or
// function drops the packets that would carry it) keeps its last EWMA in the kernel for
// ever. SilenceTracker notices it from the sample count and the time of the newest sample
// each segment carries (see docs/architecture.md, Faults).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "chima/collector/collector_program.hpp"
#include "chima/collector/report_decoder.hpp"
#include "chima/collector/sections.hpp"

namespace chima::collector {

struct SilenceOptions {
    // A fixed bound (--silence-after); nullopt = derived per segment from its sample rate:
    // max(intervals x the observed inter-sample interval, floor).
    std::optional<std::chrono::nanoseconds> after;
    double intervals = 4;
    // Above the gap a sudden extra delay D opens in a journey's samples (about 2 D: every
    // packet in flight is late by D on the way out and back): +50 ms is not a fault.
    std::chrono::nanoseconds floor{150'000'000};
    // The bound of a segment whose rate is not known yet (fewer than two samples seen).
    std::chrono::nanoseconds unknown_rate{1'000'000'000};
    // Telemetry that moved is not a fault: while a segment no section names that started
    // (or started again) to receive samples less than this ago has a sample newer than a
    // watched one's last, the traffic took a path the collector does not know yet (a
    // relocation switched it, make before break; its deployment is published a moment
    // later), and the watched segment is not silent.
    std::chrono::nanoseconds moved_grace{3'000'000'000};
};

struct SilenceChange {
    chima_segment_key key{};
    bool silent = false;               // true: became silent; false: telemetry resumed
    std::uint64_t last_sample_ns = 0;  // CLOCK_MONOTONIC of the newest sample
    std::int64_t bound_ns = 0;         // the bound it exceeded (silent)
    std::uint64_t samples = 0;
};

class SilenceTracker {
  public:
    explicit SilenceTracker(SilenceOptions options = {});

    // One look at the kernel's segments at `now_mono_ns` (CLOCK_MONOTONIC). Only segments
    // some watched section names are judged, and only once they have had a sample: a
    // segment never measured is not silent, it is not there yet. The others are followed
    // to tell telemetry that moved from telemetry that stopped (moved_grace). Returns what
    // changed.
    std::vector<SilenceChange> update(const std::vector<SegmentReading>& readings,
                                      const SectionTable& table, std::uint64_t now_mono_ns);

    bool silent(const chima_segment_key& key) const;
    // The current bound of a segment (ns); the unknown-rate bound when never seen.
    std::int64_t bound_ns(const chima_segment_key& key) const;

  private:
    struct State {
        std::uint64_t samples = 0;
        std::uint64_t last_update_ns = 0;
        double interval_ns = 0;  // EWMA of the inter-sample interval; 0 = unknown
        bool silent = false;     // watched: silent; unwatched: idle
        // Unwatched: the newest sample when it appeared or came back (new traffic); 0 = never.
        std::uint64_t arrived_ns = 0;
    };
    struct KeyHash {
        std::size_t operator()(const chima_segment_key& k) const;
    };
    struct KeyEqual {
        bool operator()(const chima_segment_key& x, const chima_segment_key& y) const {
            return x == y;
        }
    };
    std::int64_t bound_of(const State& s) const;

    SilenceOptions options_;
    bool started_ = false;  // a first look was taken (its segments are not "new")
    std::unordered_map<chima_segment_key, State, KeyHash, KeyEqual> states_;
};

// Parses a --silence-after value: "auto" (nullopt) or a duration ("150ms", "1s").
// InputError when it is neither or not positive.
std::optional<std::chrono::nanoseconds> parse_silence_after(const std::string& text);

}  // namespace chima::collector
