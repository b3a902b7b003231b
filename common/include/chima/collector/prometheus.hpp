// Prometheus text exposition (format 0.0.4) of the collector's measurements.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace chima::collector {

inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4";

struct SegmentMetric {
    std::string chain;
    std::string segment;
    double latency_ns = 0;
    double jitter_ns = 0;
};

struct MetricsSnapshot {
    std::vector<SegmentMetric> segments;
    std::uint64_t reports = 0;
    std::vector<std::pair<std::string, std::uint64_t>> malformed;  // reason -> count
    std::uint64_t seq_gaps = 0;
};

// The /metrics body: HELP and TYPE once per metric family, values in base units.
std::string render_prometheus(const MetricsSnapshot& snapshot);

// A label value with \, " and newline escaped as the format requires.
std::string escape_label_value(const std::string& value);

}  // namespace chima::collector
