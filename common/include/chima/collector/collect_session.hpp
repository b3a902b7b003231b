// chima-collect's main loop: load and attach the XDP collector, then until SIGINT/SIGTERM
// print a measurement line per segment every poll interval and a crossing line the moment
// the kernel signals one, and serve /metrics when asked.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "chima/collector/collector_program.hpp"
#include "chima/collector/node_presence.hpp"
#include "chima/collector/prometheus.hpp"
#include "chima/collector/sections.hpp"
#include "chima/collector/silence.hpp"

namespace chima::collector {

struct CollectOptions {
    std::string iface;
    std::optional<std::string> netns;  // the interface lives in /run/netns/NAME
    double alpha = 0.125;
    std::chrono::milliseconds poll{100};
    std::optional<std::string> metrics;  // ADDR:PORT for /metrics
    bool events = false;                 // print {"type":"crossing"} lines
    std::uint16_t udp_port = CHIMA_INT_REPORT_UDP_PORT;
    XdpMode mode = XdpMode::Auto;
    // The deployment.json the sections came from: when it is replaced (chima-relocate -o),
    // the watched sections and thresholds are reloaded from it at the next poll.
    std::optional<std::string> deployment_file;
    // When a watched segment's telemetry counts as stopped (see silence.hpp).
    SilenceOptions silence;
    // How often silence and node presence are looked at, whatever the poll: a fault is
    // reported within this of its bound, not within a poll.
    std::chrono::milliseconds fault_check{10};
    // Nodes whose namespace is watched: node-missing / node-back lines (chima-collect --net).
    std::vector<WatchedNode> nodes;
};

// Runs until SIGINT or SIGTERM; returns the exit code. JSON Lines go to `out`, flushed
// per line.
int run_collector(const CollectOptions& options, const std::vector<WatchedSection>& sections,
                  std::ostream& out);

// The JSON lines (without the newline). Timestamps are wall-clock ns since the Unix epoch.
// measurement_line is formatted by hand: it runs for every segment on every poll.
std::string measurement_line(std::int64_t ts_ns, const SegmentLabel& label,
                             const SegmentReading& reading);
// {"type":"silence"|"telemetry-resumed", ...} (newline-terminated): one per chain naming
// the segment; a silence line lists in "silent" every segment of its chain `tracker` holds
// silent. `mono_to_wall` is added to CLOCK_MONOTONIC times to get wall-clock ns.
std::string silence_lines(std::int64_t now_wall_ns, std::int64_t mono_to_wall,
                          const SilenceChange& change, const SectionTable& table,
                          const SilenceTracker& tracker);
// {"type":"node-missing"|"node-back","ts_ns":...,"node":...}
std::string node_line(std::int64_t now_wall_ns, const NodeChange& change);
std::string crossing_line(std::int64_t ts_ns, const chima_collector_event& event,
                          const SectionTable& table);

// One poll's measurement lines (newline-terminated), one per segment with samples and
// chain naming it, stamped with the time of the segment's newest sample (its
// last_update_ns + mono_to_wall): an old value never gets a fresh stamp. Segments
// `silence` holds silent are left out. Written with one write and one flush per poll.
std::string measurement_lines(std::int64_t mono_to_wall,
                              const std::vector<SegmentReading>& readings,
                              const SectionTable& table, const SilenceTracker* silence = nullptr);

// `text` as a JSON string literal, quotes included.
void append_json_string(std::string& out, const std::string& text);

// What /metrics shows now.
MetricsSnapshot take_snapshot(const CollectorProgram& program, const SectionTable& table);

}  // namespace chima::collector
