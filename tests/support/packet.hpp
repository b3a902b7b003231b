// Header-only so every test binary can use it without build changes.
// Building test packets byte by byte, with checksums computed here (RFC 1071), independently
// of the BPF programs under test.
#pragma once

#include <cstdint>
#include <string>
#include <cstdio>
#include <initializer_list>
#include <stdexcept>
#include <vector>

namespace chima::test {

using Bytes = std::vector<uint8_t>;

// RFC 1071 Internet checksum of `data` (ones' complement of the ones' complement sum),
// starting from the partial sum `initial`.
uint16_t internet_checksum(const uint8_t* data, size_t len, uint32_t initial = 0);

struct Ipv4Fields {
    uint8_t dscp = 0;
    uint8_t ecn = 0;
    uint16_t identification = 0x1234;
    uint8_t flags = 0;
    uint16_t frag_offset = 0;
    uint8_t ttl = 64;
    uint8_t protocol = 17;
    uint32_t src = 0x0a000001;  // 10.0.0.1
    uint32_t dst = 0x0a000102;  // 10.0.1.2
    Bytes options;              // multiple of 4 bytes
};

struct TcpFields {
    uint16_t src_port = 40000;
    uint16_t dst_port = 80;
    uint32_t seq = 1000;
    uint32_t ack = 2000;
    uint8_t flags = 0x18;  // PSH|ACK
    uint16_t window = 512;
};

// An IPv4 packet (header with correct checksum + `l4`).
Bytes ipv4_packet(const Ipv4Fields& ip, const Bytes& l4);
// A UDP datagram for `ip` (src/dst used for the pseudo header); checksum 0 when !with_checksum.
Bytes udp_datagram(const Ipv4Fields& ip, uint16_t src_port, uint16_t dst_port, const Bytes& payload,
                   bool with_checksum = true);
// A TCP segment (no options) for `ip` with a correct checksum.
Bytes tcp_segment(const Ipv4Fields& ip, const TcpFields& tcp, const Bytes& payload);

// Convenience: IPv4/UDP packet with the given fields and payload.
Bytes udp_packet(const Ipv4Fields& ip, uint16_t src_port, uint16_t dst_port, const Bytes& payload,
                 bool with_checksum = true);
Bytes tcp_packet(Ipv4Fields ip, const TcpFields& tcp, const Bytes& payload);

// Ethernet header: 48-bit MACs (first byte most significant) and an EtherType.
Bytes ethernet(uint64_t dst, uint64_t src, uint16_t ether_type);
// RFC 3032 label stack entries, top first; S bit on the last one when `bottom`.
Bytes mpls(const std::vector<uint32_t>& labels, uint8_t ttl = 64, bool bottom = true);

Bytes concat(std::initializer_list<Bytes> parts);
Bytes payload_of(size_t len, uint8_t seed = 0);

// Checks of an IPv4 packet starting at `offset` in `frame`: header checksum, and the UDP
// (unless 0) or TCP checksum over pseudo header + segment.
bool ipv4_checksum_ok(const Bytes& frame, size_t offset);
bool l4_checksum_ok(const Bytes& frame, size_t offset);

// "0000: 01 02 ..." dump for failure messages.
std::string hex(const Bytes& bytes);

// ---- implementation ----

namespace detail {

inline void put16(Bytes& b, size_t off, uint16_t v) {
    b[off] = static_cast<uint8_t>(v >> 8);
    b[off + 1] = static_cast<uint8_t>(v);
}

inline void append16(Bytes& b, uint16_t v) {
    b.push_back(static_cast<uint8_t>(v >> 8));
    b.push_back(static_cast<uint8_t>(v));
}

inline void append32(Bytes& b, uint32_t v) {
    append16(b, static_cast<uint16_t>(v >> 16));
    append16(b, static_cast<uint16_t>(v));
}

inline uint16_t get16(const Bytes& b, size_t off) {
    return static_cast<uint16_t>((b[off] << 8) | b[off + 1]);
}

inline uint32_t sum_words(const uint8_t* data, size_t len, uint32_t sum) {
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += static_cast<uint32_t>((data[i] << 8) | data[i + 1]);
    if (len % 2)
        sum += static_cast<uint32_t>(data[len - 1] << 8);
    return sum;
}

inline uint32_t pseudo_sum(uint32_t src, uint32_t dst, uint8_t protocol, size_t l4_len) {
    Bytes p;
    append32(p, src);
    append32(p, dst);
    p.push_back(0);
    p.push_back(protocol);
    append16(p, static_cast<uint16_t>(l4_len));
    return sum_words(p.data(), p.size(), 0);
}

}  // namespace detail
using namespace detail;

inline uint16_t internet_checksum(const uint8_t* data, size_t len, uint32_t initial) {
    uint64_t sum = sum_words(data, len, 0) + static_cast<uint64_t>(initial);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum & 0xffff);
}

inline Bytes ipv4_packet(const Ipv4Fields& ip, const Bytes& l4) {
    if (ip.options.size() % 4)
        throw std::invalid_argument("IPv4 options must be 4-byte aligned");
    size_t header_len = 20 + ip.options.size();
    Bytes b;
    b.push_back(static_cast<uint8_t>(0x40 | (header_len / 4)));
    b.push_back(static_cast<uint8_t>((ip.dscp << 2) | (ip.ecn & 3)));
    append16(b, static_cast<uint16_t>(header_len + l4.size()));
    append16(b, ip.identification);
    append16(b, static_cast<uint16_t>((ip.flags << 13) | (ip.frag_offset & 0x1fff)));
    b.push_back(ip.ttl);
    b.push_back(ip.protocol);
    append16(b, 0);
    append32(b, ip.src);
    append32(b, ip.dst);
    b.insert(b.end(), ip.options.begin(), ip.options.end());
    put16(b, 10, internet_checksum(b.data(), b.size()));
    b.insert(b.end(), l4.begin(), l4.end());
    return b;
}

inline Bytes udp_datagram(const Ipv4Fields& ip, uint16_t src_port, uint16_t dst_port,
                          const Bytes& payload, bool with_checksum) {
    Bytes b;
    append16(b, src_port);
    append16(b, dst_port);
    append16(b, static_cast<uint16_t>(8 + payload.size()));
    append16(b, 0);
    b.insert(b.end(), payload.begin(), payload.end());
    if (with_checksum) {
        uint16_t c =
            internet_checksum(b.data(), b.size(), pseudo_sum(ip.src, ip.dst, 17, b.size()));
        put16(b, 6, c == 0 ? 0xffff : c);
    }
    return b;
}

inline Bytes tcp_segment(const Ipv4Fields& ip, const TcpFields& tcp, const Bytes& payload) {
    Bytes b;
    append16(b, tcp.src_port);
    append16(b, tcp.dst_port);
    append32(b, tcp.seq);
    append32(b, tcp.ack);
    append16(b, static_cast<uint16_t>((5 << 12) | tcp.flags));
    append16(b, tcp.window);
    append16(b, 0);
    append16(b, 0);
    b.insert(b.end(), payload.begin(), payload.end());
    put16(b, 16, internet_checksum(b.data(), b.size(), pseudo_sum(ip.src, ip.dst, 6, b.size())));
    return b;
}

inline Bytes udp_packet(const Ipv4Fields& ip, uint16_t src_port, uint16_t dst_port,
                        const Bytes& payload, bool with_checksum) {
    Ipv4Fields f = ip;
    f.protocol = 17;
    return ipv4_packet(f, udp_datagram(f, src_port, dst_port, payload, with_checksum));
}

inline Bytes tcp_packet(Ipv4Fields ip, const TcpFields& tcp, const Bytes& payload) {
    ip.protocol = 6;
    return ipv4_packet(ip, tcp_segment(ip, tcp, payload));
}

inline Bytes ethernet(uint64_t dst, uint64_t src, uint16_t ether_type) {
    Bytes b;
    for (int i = 5; i >= 0; --i)
        b.push_back(static_cast<uint8_t>(dst >> (8 * i)));
    for (int i = 5; i >= 0; --i)
        b.push_back(static_cast<uint8_t>(src >> (8 * i)));
    append16(b, ether_type);
    return b;
}

inline Bytes mpls(const std::vector<uint32_t>& labels, uint8_t ttl, bool bottom) {
    Bytes b;
    for (size_t i = 0; i < labels.size(); ++i) {
        uint32_t s = (bottom && i + 1 == labels.size()) ? 1 : 0;
        append32(b, (labels[i] << 12) | (s << 8) | ttl);
    }
    return b;
}

inline Bytes concat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const auto& p : parts)
        out.insert(out.end(), p.begin(), p.end());
    return out;
}

inline Bytes payload_of(size_t len, uint8_t seed) {
    Bytes b(len);
    for (size_t i = 0; i < len; ++i)
        b[i] = static_cast<uint8_t>(seed + i * 7);
    return b;
}

inline bool ipv4_checksum_ok(const Bytes& frame, size_t offset) {
    if (frame.size() < offset + 20)
        return false;
    size_t header_len = (frame[offset] & 0xf) * 4u;
    if (frame.size() < offset + header_len)
        return false;
    return internet_checksum(frame.data() + offset, header_len) == 0;
}

inline bool l4_checksum_ok(const Bytes& frame, size_t offset) {
    size_t header_len = (frame[offset] & 0xf) * 4u;
    size_t total = get16(frame, offset + 2);
    uint8_t protocol = frame[offset + 9];
    uint32_t src = (uint32_t(get16(frame, offset + 12)) << 16) | get16(frame, offset + 14);
    uint32_t dst = (uint32_t(get16(frame, offset + 16)) << 16) | get16(frame, offset + 18);
    size_t l4 = offset + header_len;
    size_t l4_len = total - header_len;
    if (frame.size() < l4 + l4_len)
        return false;
    if (protocol == 17 && get16(frame, l4 + 6) == 0)
        return true;  // no checksum
    return internet_checksum(frame.data() + l4, l4_len, pseudo_sum(src, dst, protocol, l4_len)) ==
           0;
}

inline std::string hex(const Bytes& bytes) {
    std::string out;
    char buf[24];
    for (size_t i = 0; i < bytes.size(); ++i) {
        if (i % 16 == 0) {
            std::snprintf(buf, sizeof(buf), "\n%04zx:", i);
            out += buf;
        }
        std::snprintf(buf, sizeof(buf), " %02x", bytes[i]);
        out += buf;
    }
    return out;
}

}  // namespace chima::test
