#include "chima/collector/report_encoder.hpp"

namespace chima::collector {

namespace {

class Writer {
  public:
    explicit Writer(std::vector<std::uint8_t>& out) : out_(out) {}
    void u8(std::uint8_t v) { out_.push_back(v); }
    void u16(std::uint16_t v) {
        u8(static_cast<std::uint8_t>(v >> 8));
        u8(static_cast<std::uint8_t>(v));
    }
    void u32(std::uint32_t v) {
        u16(static_cast<std::uint16_t>(v >> 16));
        u16(static_cast<std::uint16_t>(v));
    }
    void zeros(std::size_t n) { out_.insert(out_.end(), n, 0); }
    std::size_t size() const { return out_.size(); }

  private:
    std::vector<std::uint8_t>& out_;
};

void ethernet(Writer& w, std::uint16_t ethertype) {
    const std::uint8_t dst[6] = {0x02, 0, 0, 0, 0, 0x20};
    const std::uint8_t src[6] = {0x02, 0, 0, 0, 0, 0x01};
    for (auto b : dst)
        w.u8(b);
    for (auto b : src)
        w.u8(b);
    w.u16(ethertype);
}

// Writes an IPv4 header with placeholder length and checksum; returns its offset.
std::size_t ipv4(Writer& w, std::uint8_t version, std::uint8_t ihl, std::uint8_t dscp,
                 std::uint8_t protocol, std::uint32_t src, std::uint32_t dst) {
    std::size_t at = w.size();
    w.u8(static_cast<std::uint8_t>((version << 4) | (ihl & 0xF)));
    w.u8(static_cast<std::uint8_t>(dscp << 2));
    w.u16(0);  // total length, patched
    w.u16(0);
    w.u16(0x4000);  // DF
    w.u8(64);
    w.u8(protocol);
    w.u16(0);  // checksum, patched
    w.u32(src);
    w.u32(dst);
    if (ihl > 5)
        w.zeros((ihl - 5u) * 4u);
    return at;
}

void put16(std::vector<std::uint8_t>& b, std::size_t at, std::uint16_t v) {
    b[at] = static_cast<std::uint8_t>(v >> 8);
    b[at + 1] = static_cast<std::uint8_t>(v);
}

void finish_ipv4(std::vector<std::uint8_t>& b, std::size_t at, std::size_t header_len) {
    if (at + header_len > b.size())
        return;
    put16(b, at + 2, static_cast<std::uint16_t>(b.size() - at));
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i < header_len; i += 2)
        sum += (b[at + i] << 8) | b[at + i + 1];
    while (sum >> 16)
        sum = (sum & 0xFFFF) + (sum >> 16);
    put16(b, at + 10, static_cast<std::uint16_t>(~sum));
}

}  // namespace

std::vector<std::uint8_t> encode_report(const ReportSpec& s) {
    std::vector<std::uint8_t> b;
    Writer w(b);
    ethernet(w, CHIMA_ETH_P_IPV4);
    std::size_t outer_ip = ipv4(w, 4, s.outer_ihl, 0, CHIMA_IPPROTO_UDP, 0x0A0000FE, 0x0A0000C8);
    std::size_t outer_udp = w.size();
    w.u16(0);  // source port: not used
    w.u16(s.udp_port);
    w.u16(0);  // length, patched
    w.u16(0);  // no checksum

    w.u32(
        chima_encode_report_word0(s.report_version, s.report_length, s.next_proto, 0, 0, 0, 1, 1));
    w.u32(s.switch_id);
    w.u32(s.seq_no);
    w.u32(s.ingress_ts);
    if (s.report_length > 4)
        w.zeros((s.report_length - 4u) * 4u);

    ethernet(w, s.inner_ethertype);
    std::size_t inner_ip = ipv4(w, s.inner_ip_version, s.inner_ihl, CHIMA_INT_DSCP,
                                s.inner_protocol, 0x0A0000C8, 0x0A000002);
    std::size_t inner_l4 = w.size();
    if (s.inner_protocol == CHIMA_IPPROTO_TCP) {
        w.u16(40000);
        w.u16(12345);
        w.u32(1);
        w.u32(0);
        w.u8(static_cast<std::uint8_t>(s.tcp_data_offset << 4));
        w.u8(0x18);
        w.u16(65535);
        w.u16(0);
        w.u16(0);
        if (s.tcp_data_offset > 5)
            w.zeros((s.tcp_data_offset - 5u) * 4u);
    } else {
        w.u16(40000);
        w.u16(12345);
        w.u16(0);  // length, patched
        w.u16(0);
    }

    std::uint8_t shim_length = s.shim_length.value_or(
        static_cast<std::uint8_t>(CHIMA_INT_HEADER_WORDS + CHIMA_INT_HOP_WORDS * s.hops.size()));
    w.u8(s.shim_type);
    w.u8(0);
    w.u8(shim_length);
    w.u8(static_cast<std::uint8_t>(s.original_dscp << 2));
    w.u32((static_cast<std::uint32_t>(s.int_version & 0xF) << 28) |
          (static_cast<std::uint32_t>(s.exceeded ? 1 : 0) << 24) |
          (static_cast<std::uint32_t>(s.hop_ml & 0x1F) << 8) | s.remaining_hops);
    w.u16(s.instructions);
    w.u16(0);
    for (const auto& hop : s.hops) {
        w.u32(hop.switch_id);
        w.u32(hop.ingress_ts);
        w.u32(hop.egress_ts);
    }
    w.zeros(s.payload_bytes);

    if (s.inner_protocol == CHIMA_IPPROTO_UDP && inner_l4 + 8 <= b.size())
        put16(b, inner_l4 + 4, static_cast<std::uint16_t>(b.size() - inner_l4));
    finish_ipv4(b, inner_ip, static_cast<std::size_t>(s.inner_ihl) * 4);
    put16(b, outer_udp + 4, static_cast<std::uint16_t>(b.size() - outer_udp));
    finish_ipv4(b, outer_ip, static_cast<std::size_t>(s.outer_ihl) * 4);
    return b;
}

}  // namespace chima::collector
