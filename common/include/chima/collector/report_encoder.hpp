// Builds Telemetry Report v1.0 frames carrying an INT v1.0 stack, with every field
// settable (including wrong ones): for tests, the fuzzer's seeds, benchmarks, and tools
// that inject synthetic reports.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "chima/int.h"

namespace chima::collector {

struct ReportSpec {
    // outer headers
    std::uint8_t outer_ihl = 5;
    std::uint16_t udp_port = CHIMA_INT_REPORT_UDP_PORT;
    // Telemetry Report header
    std::uint8_t report_version = CHIMA_REPORT_VERSION;
    std::uint8_t report_length = CHIMA_REPORT_HEADER_BYTES / 4;  // > 4 adds zero words
    std::uint8_t next_proto = CHIMA_REPORT_NEXT_PROTO_ETHERNET;
    std::uint32_t switch_id = 1;
    std::uint32_t seq_no = 0;
    std::uint32_t ingress_ts = 0;
    // inner packet
    std::uint16_t inner_ethertype = CHIMA_ETH_P_IPV4;
    std::uint8_t inner_ip_version = 4;
    std::uint8_t inner_ihl = 5;
    std::uint8_t inner_protocol = CHIMA_IPPROTO_UDP;
    std::uint8_t tcp_data_offset = 5;
    // INT
    std::uint8_t shim_type = CHIMA_INT_SHIM_TYPE_HOP_BY_HOP;
    std::optional<std::uint8_t> shim_length;  // default: 3 + 3 * hops
    std::uint8_t original_dscp = 0;
    std::uint8_t int_version = CHIMA_INT_VERSION;
    std::uint8_t hop_ml = CHIMA_INT_HOP_WORDS;
    std::uint8_t remaining_hops = 0;
    bool exceeded = false;
    std::uint16_t instructions = CHIMA_INT_INSTRUCTIONS;
    std::vector<chima_int_hop> hops;  // newest first, as on the wire
    std::size_t payload_bytes = 0;    // inner payload after the stack
};

std::vector<std::uint8_t> encode_report(const ReportSpec& spec);

}  // namespace chima::collector
