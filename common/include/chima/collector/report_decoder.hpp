// The reference decoder for telemetry reports: the same parser the XDP program runs
// (bpf/include/chima/int.h), wrapped for C++, plus the segment samples a report yields.
// Tests compare the kernel's maps against it; the fuzzer runs it on arbitrary bytes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "chima/collector.h"

namespace chima::collector {

struct DecodedReport {
    chima_report_status status = CHIMA_REPORT_NOT_A_REPORT;
    chima_report report{};

    bool ok() const { return status == CHIMA_REPORT_OK; }
};

// Parses one frame (starting at the outer Ethernet header).
DecodedReport decode_report(std::span<const std::uint8_t> frame,
                            std::uint16_t udp_port = CHIMA_INT_REPORT_UDP_PORT);

// One delay sample: the segment between two consecutive hops and its delay in ns.
struct SegmentSample {
    chima_segment_key key{};
    std::uint32_t delay_ns = 0;
};

// The samples of a well-formed report in stack order (newest pair first), the order the
// XDP program applies them in. Pairs with an unavailable timestamp are skipped.
std::vector<SegmentSample> segment_samples(const chima_report& report);

// Stable snake_case name of a malformed reason, used as the Prometheus `reason` label.
std::string_view status_name(chima_report_status status);

// "link:0-11" or "function:101": the segment id used when no deployment names it.
std::string segment_id(const chima_segment_key& key);

bool operator==(const chima_segment_key& a, const chima_segment_key& b);

}  // namespace chima::collector
