#include "chima/collector/report_decoder.hpp"

namespace chima::collector {

DecodedReport decode_report(std::span<const std::uint8_t> frame, std::uint16_t udp_port) {
    DecodedReport out;
    const std::uint8_t* begin = frame.data();
    out.status = chima_parse_report(begin, begin + frame.size(), udp_port, &out.report);
    return out;
}

std::vector<SegmentSample> segment_samples(const chima_report& report) {
    std::vector<SegmentSample> samples;
    for (unsigned i = 0; i + 1 < report.hop_count && i + 1 < CHIMA_INT_MAX_HOPS; ++i) {
        SegmentSample s;
        if (chima_hop_pair_sample(&report.hops[i], &report.hops[i + 1], &s.key, &s.delay_ns))
            samples.push_back(s);
    }
    return samples;
}

std::string_view status_name(chima_report_status status) {
    switch (status) {
        case CHIMA_REPORT_OK:
            return "ok";
        case CHIMA_REPORT_NOT_A_REPORT:
            return "not_a_report";
        case CHIMA_REPORT_TRUNCATED:
            return "truncated";
        case CHIMA_REPORT_REPORT_VERSION:
            return "report_version";
        case CHIMA_REPORT_REPORT_LENGTH:
            return "report_length";
        case CHIMA_REPORT_NEXT_PROTO:
            return "report_next_proto";
        case CHIMA_REPORT_INNER_ETHERTYPE:
            return "inner_ethertype";
        case CHIMA_REPORT_INNER_IPV4:
            return "inner_ipv4";
        case CHIMA_REPORT_INNER_PROTOCOL:
            return "inner_protocol";
        case CHIMA_REPORT_INNER_TCP:
            return "inner_tcp";
        case CHIMA_REPORT_INT_TYPE:
            return "int_type";
        case CHIMA_REPORT_INT_VERSION:
            return "int_version";
        case CHIMA_REPORT_INT_HOP_ML:
            return "int_hop_ml";
        case CHIMA_REPORT_INT_INSTRUCTIONS:
            return "int_instructions";
        case CHIMA_REPORT_INT_LENGTH:
            return "int_length";
        case CHIMA_REPORT_STATUS_COUNT:
            break;
    }
    return "unknown";
}

std::string segment_id(const chima_segment_key& key) {
    if (key.kind == CHIMA_SEGMENT_FUNCTION)
        return "function:" + std::to_string(key.a);
    return "link:" + std::to_string(key.a) + "-" + std::to_string(key.b);
}

bool operator==(const chima_segment_key& a, const chima_segment_key& b) {
    return a.kind == b.kind && a.a == b.a && a.b == b.b;
}

}  // namespace chima::collector
