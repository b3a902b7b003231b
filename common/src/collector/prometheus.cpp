#include "chima/collector/prometheus.hpp"

#include <charconv>
#include <string_view>

namespace chima::collector {

namespace {

void append_number(std::string& out, double value) {
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof(buf), value);
    out.append(buf, res.ptr);
}

void append_header(std::string& out, std::string_view name, std::string_view type,
                   std::string_view help) {
    out.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void append_segment_family(std::string& out, const MetricsSnapshot& s, std::string_view name,
                           std::string_view help, double SegmentMetric::*field) {
    append_header(out, name, "gauge", help);
    for (const auto& m : s.segments) {
        out.append(name)
            .append("{chain=\"")
            .append(escape_label_value(m.chain))
            .append("\",segment=\"")
            .append(escape_label_value(m.segment))
            .append("\"} ");
        append_number(out, m.*field / 1e9);
        out.push_back('\n');
    }
}

}  // namespace

std::string escape_label_value(const std::string& value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string render_prometheus(const MetricsSnapshot& s) {
    std::string out;
    out.reserve(256 + s.segments.size() * 160);
    append_segment_family(out, s, "chima_segment_latency_seconds",
                          "EWMA of the one-way delay of a chain segment (link or function).",
                          &SegmentMetric::latency_ns);
    append_segment_family(out, s, "chima_segment_jitter_seconds",
                          "EWMA of the delay variation of a chain segment.",
                          &SegmentMetric::jitter_ns);

    append_header(out, "chima_reports_total", "counter",
                  "Well-formed INT telemetry reports received.");
    out.append("chima_reports_total ").append(std::to_string(s.reports)).append("\n");

    append_header(out, "chima_reports_malformed_total", "counter",
                  "Telemetry reports dropped as malformed, by reason.");
    for (const auto& [reason, count] : s.malformed)
        out.append("chima_reports_malformed_total{reason=\"")
            .append(escape_label_value(reason))
            .append("\"} ")
            .append(std::to_string(count))
            .append("\n");

    append_header(out, "chima_report_seq_gaps_total", "counter",
                  "Telemetry reports missing according to the report sequence numbers.");
    out.append("chima_report_seq_gaps_total ").append(std::to_string(s.seq_gaps)).append("\n");
    return out;
}

}  // namespace chima::collector
