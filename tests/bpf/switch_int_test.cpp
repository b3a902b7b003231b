// INT source and transit in the switch pipeline (bpf/switch/int_stack.h) on crafted frames
// through BPF_PROG_TEST_RUN. Expected frames are built here byte by byte with checksums
// computed by tests/support/packet.hpp; only the two timestamps of this hop are taken from
// the output (they are the kernel's clock) and checked for plausibility.
#include <doctest/doctest.h>
#include <linux/pkt_cls.h>

#include <cstdint>
#include <vector>

#include "chima/error.hpp"
#include "int_bytes.hpp"
#include "switch_fixture.hpp"

using namespace chima;
using namespace chima::test;

namespace {

constexpr uint16_t kIpv4 = 0x0800;
constexpr uint16_t kMpls = 0x8847;
constexpr uint32_t kSwitchId = 5;

using Hop = IntHop;

Bytes from_host(uint16_t ether_type, const Bytes& rest) {
    return concat({ethernet(kSwitchMac + 1, kHostA, ether_type), rest});
}

Bytes routed(uint32_t port, uint16_t ether_type, const Bytes& rest) {
    return concat({ethernet(peer_mac(port), own_mac(port), ether_type), rest});
}

Ipv4Fields flow(uint8_t dscp) {
    Ipv4Fields ip;
    ip.dscp = dscp;
    return ip;
}

struct IntSwitch : SwitchFixture {
    IntSwitch() {
        sw.set_int_switch_id(kSwitchId);
        sw.set_prefix_route(*Ipv4::parse("10.0.1.0"), 24, 2);
    }
    void watch() { sw.watch_flow(*Ipv4::parse("10.0.0.1"), *Ipv4::parse("10.0.1.2")); }

    // Runs `input`, expects it out of port 2 and returns this hop's metadata read at
    // `hop_offset` of the output (checked: ingress <= egress, less than 10 ms apart).
    Hop run_hop(const Bytes& input, size_t hop_offset, Bytes& output) {
        RunResult r = run(input);
        REQUIRE(r.error == 0);
        REQUIRE(r.verdict == TC_ACT_REDIRECT);
        output = r.output;
        REQUIRE(output.size() >= hop_offset + 12);
        Hop h{read32(output, hop_offset), read32(output, hop_offset + 4),
              read32(output, hop_offset + 8)};
        CHECK(h.egress_ts - h.ingress_ts < 10'000'000u);  // modulo 2^32, as the collector
        return h;
    }
};

}  // namespace

TEST_CASE("switch int: a watched UDP flow gets shim, md header and the source's hop") {
    IntSwitch s;
    s.watch();
    Bytes payload = payload_of(18);
    Bytes input = from_host(kIpv4, udp_packet(flow(0x0a), 5000, 6000, payload));
    Bytes out;
    Hop hop = s.run_hop(input, 14 + 20 + 8 + 12, out);
    CHECK(hop.switch_id == kSwitchId);
    Bytes expected =
        routed(2, kIpv4,
               udp_packet(flow(0x17), 5000, 6000, concat({int_header(0x0a, 7, {hop}), payload})));
    CHECK_MESSAGE(out == expected, "got:" << hex(out) << "\nexpected:" << hex(expected));
    CHECK(ipv4_checksum_ok(out, 14));
    CHECK(l4_checksum_ok(out, 14));
    CHECK(s.tx(2) == 1);
}

TEST_CASE("switch int: a watched TCP flow gets INT behind the TCP header, checksums fixed") {
    IntSwitch s;
    s.watch();
    Bytes payload = payload_of(40, 3);
    Bytes input = from_host(kIpv4, tcp_packet(flow(0x2e), TcpFields{}, payload));
    Bytes out;
    Hop hop = s.run_hop(input, 14 + 20 + 20 + 12, out);
    Bytes expected =
        routed(2, kIpv4,
               tcp_packet(flow(0x17), TcpFields{}, concat({int_header(0x2e, 7, {hop}), payload})));
    CHECK_MESSAGE(out == expected, "got:" << hex(out) << "\nexpected:" << hex(expected));
    CHECK(l4_checksum_ok(out, 14));
}

TEST_CASE("switch int: the remaining hop count a source writes is configurable") {
    IntSwitch s;
    s.watch();
    s.sw.set_int_initial_hops(3);
    Bytes payload = payload_of(10);
    Bytes out;
    Hop hop = s.run_hop(from_host(kIpv4, udp_packet(flow(0), 5000, 6000, payload)),
                        14 + 20 + 8 + 12, out);
    CHECK(out ==
          routed(2, kIpv4,
                 udp_packet(flow(0x17), 5000, 6000, concat({int_header(0, 2, {hop}), payload}))));
    CHECK_THROWS_AS(s.sw.set_int_initial_hops(0), InputError);
    CHECK_THROWS_AS(s.sw.set_int_initial_hops(CHIMA_INT_MAX_HOPS + 1), InputError);
    CHECK_THROWS_AS(s.sw.set_int_switch_id(0x4000), InputError);
}

TEST_CASE("switch int: a UDP datagram without checksum keeps checksum 0") {
    IntSwitch s;
    s.watch();
    Bytes payload = payload_of(12);
    Bytes out;
    Hop hop = s.run_hop(from_host(kIpv4, udp_packet(flow(0), 5000, 6000, payload, false)),
                        14 + 20 + 8 + 12, out);
    CHECK(out == routed(2, kIpv4,
                        udp_packet(flow(0x17), 5000, 6000,
                                   concat({int_header(0, 7, {hop}), payload}), false)));
}

TEST_CASE("switch int: flows not on the watchlist pass unchanged, also after unwatch") {
    IntSwitch s;
    Bytes ip = udp_packet(flow(0x0a), 5000, 6000, payload_of(18));
    s.expect_forwarded(from_host(kIpv4, ip), routed(2, kIpv4, ip), 2);
    s.sw.watch_flow(*Ipv4::parse("10.0.0.1"), *Ipv4::parse("10.0.1.9"));  // another flow
    s.expect_forwarded(from_host(kIpv4, ip), routed(2, kIpv4, ip), 2);
    s.watch();
    s.sw.unwatch_flow(*Ipv4::parse("10.0.0.1"), *Ipv4::parse("10.0.1.2"));
    s.sw.unwatch_flow(*Ipv4::parse("10.0.0.1"), *Ipv4::parse("10.0.1.2"));  // idempotent
    s.expect_forwarded(from_host(kIpv4, ip), routed(2, kIpv4, ip), 2);
}

TEST_CASE("switch int: a managed packet becomes INT source under a popped label stack") {
    IntSwitch s;
    s.watch();
    Bytes payload = payload_of(18);
    Bytes ip = udp_packet(flow(0), 5000, 6000, payload);
    Bytes out;
    SUBCASE("last label popped (PHP)") {
        Hop hop = s.run_hop(from_host(kMpls, concat({mpls({adj(2)}), ip})), 14 + 20 + 8 + 12, out);
        CHECK(out == routed(2, kIpv4,
                            udp_packet(flow(0x17), 5000, 6000,
                                       concat({int_header(0, 7, {hop}), payload}))));
    }
    SUBCASE("labels left below") {
        Hop hop = s.run_hop(from_host(kMpls, concat({mpls({adj(2), adj(7)}), ip})),
                            14 + 4 + 20 + 8 + 12, out);
        CHECK(out == routed(2, kMpls,
                            concat({mpls({adj(7)}),
                                    udp_packet(flow(0x17), 5000, 6000,
                                               concat({int_header(0, 7, {hop}), payload}))})));
        CHECK(l4_checksum_ok(out, 18));
    }
}

TEST_CASE("switch int: transit pushes its hop on top of the stack, newest first") {
    IntSwitch s;
    Bytes payload = payload_of(18);
    Hop first{1, 1000, 2000};
    Bytes input = from_host(
        kIpv4, udp_packet(flow(0x17), 5000, 6000, concat({int_header(0x0a, 7, {first}), payload})));
    Bytes out;
    Hop hop = s.run_hop(input, 14 + 20 + 8 + 12, out);
    CHECK(hop.switch_id == kSwitchId);
    Bytes expected = routed(
        2, kIpv4,
        udp_packet(flow(0x17), 5000, 6000, concat({int_header(0x0a, 6, {hop, first}), payload})));
    CHECK_MESSAGE(out == expected, "got:" << hex(out) << "\nexpected:" << hex(expected));
    CHECK(l4_checksum_ok(out, 14));

    // and once more through TCP, as a third hop
    Hop second{2, 3000, 4000};
    Bytes tcp_in = from_host(
        kIpv4,
        tcp_packet(flow(0x17), TcpFields{}, concat({int_header(0, 5, {second, first}), payload})));
    hop = s.run_hop(tcp_in, 14 + 20 + 20 + 12, out);
    CHECK(out == routed(2, kIpv4,
                        tcp_packet(flow(0x17), TcpFields{},
                                   concat({int_header(0, 4, {hop, second, first}), payload}))));
}

TEST_CASE("switch int: transit with no remaining hop count sets E and inserts nothing") {
    IntSwitch s;
    Bytes payload = payload_of(18);
    Hop first{1, 1000, 2000};
    Bytes input = from_host(
        kIpv4, udp_packet(flow(0x17), 5000, 6000, concat({int_header(0, 0, {first}), payload})));
    Bytes expected = routed(
        2, kIpv4,
        udp_packet(flow(0x17), 5000, 6000, concat({int_header(0, 0, {first}, true), payload})));
    s.expect_forwarded(input, expected, 2);
}

TEST_CASE("switch int: DSCP 0x17 without a valid shim is forwarded untouched") {
    IntSwitch s;
    Bytes bad = int_header(0, 7, {});
    bad[0] = 2;  // not hop-by-hop
    Bytes ip = udp_packet(flow(0x17), 5000, 6000, concat({bad, payload_of(8)}));
    s.expect_forwarded(from_host(kIpv4, ip), routed(2, kIpv4, ip), 2);
    Bytes short_ip = udp_packet(flow(0x17), 5000, 6000, payload_of(4));
    s.expect_forwarded(from_host(kIpv4, short_ip), routed(2, kIpv4, short_ip), 2);
}

TEST_CASE("switch int: SID 0xC0000|F puts function F above the switch id (paper IV-D2)") {
    IntSwitch s;
    Bytes payload = payload_of(18);
    Hop first{1, 1000, 2000};
    Bytes ip = udp_packet(flow(0x17), 5000, 6000, concat({int_header(0, 7, {first}), payload}));
    Bytes out;
    Hop hop = s.run_hop(from_host(kMpls, concat({mpls({int_sid(3), adj(2)}), ip})),
                        14 + 20 + 8 + 12, out);
    CHECK(hop.switch_id == ((3u << CHIMA_INT_FUNCTION_SHIFT) | kSwitchId));
    CHECK(out == routed(2, kIpv4,
                        udp_packet(flow(0x17), 5000, 6000,
                                   concat({int_header(0, 6, {hop, first}), payload}))));

    // SID 0xC0000 (to host) carries no function id
    hop = s.run_hop(from_host(kMpls, concat({mpls({int_sid(0), adj(2)}), ip})), 14 + 20 + 8 + 12,
                    out);
    CHECK(hop.switch_id == kSwitchId);
}

TEST_CASE("switch int: a sink port strips INT and restores the packet before the source") {
    IntSwitch s;
    s.sw.set_int_sink_port(2, true);
    Bytes payload = payload_of(18);
    std::vector<Hop> hops{{2, 3000, 4000}, {1, 1000, 2000}};
    SUBCASE("UDP") {
        Bytes original = udp_packet(flow(0x0a), 5000, 6000, payload);
        Bytes input = from_host(kIpv4, udp_packet(flow(0x17), 5000, 6000,
                                                  concat({int_header(0x0a, 6, hops), payload})));
        s.expect_forwarded(input, routed(2, kIpv4, original), 2);
    }
    SUBCASE("TCP") {
        Bytes original = tcp_packet(flow(0x2e), TcpFields{}, payload);
        Bytes input = from_host(kIpv4, tcp_packet(flow(0x17), TcpFields{},
                                                  concat({int_header(0x2e, 6, hops), payload})));
        s.expect_forwarded(input, routed(2, kIpv4, original), 2);
    }
    SUBCASE("managed, eight hops") {
        std::vector<Hop> eight(8, Hop{1, 1, 2});
        Bytes original = udp_packet(flow(0), 5000, 6000, payload);
        Bytes input = from_host(
            kMpls,
            concat({mpls({adj(2)}), udp_packet(flow(0x17), 5000, 6000,
                                               concat({int_header(0, 0, eight), payload}))}));
        s.expect_forwarded(input, routed(2, kIpv4, original), 2);
    }
    SUBCASE("not toward the sink port: transit") {
        s.sw.set_int_sink_port(2, false);
        s.sw.set_int_sink_port(3, true);
        Bytes input = from_host(
            kIpv4, udp_packet(flow(0x17), 5000, 6000, concat({int_header(0, 6, hops), payload})));
        Bytes out;
        Hop hop = s.run_hop(input, 14 + 20 + 8 + 12, out);
        CHECK(out ==
              routed(2, kIpv4,
                     udp_packet(flow(0x17), 5000, 6000,
                                concat({int_header(0, 5, {hop, hops[0], hops[1]}), payload}))));
    }
    CHECK_THROWS_AS(s.sw.set_int_sink_port(0, true), InputError);
}

TEST_CASE("switch int: SID 0xC0000 leaves INT in the packet for the attached host") {
    IntSwitch s;
    s.sw.set_int_sink_port(2, true);
    Bytes payload = payload_of(18);
    Hop first{1, 1000, 2000};
    Bytes ip = udp_packet(flow(0x17), 5000, 6000, concat({int_header(0, 7, {first}), payload}));
    Bytes out;
    Hop hop = s.run_hop(from_host(kMpls, concat({mpls({int_sid(0), adj(2)}), ip})),
                        14 + 20 + 8 + 12, out);
    CHECK(out == routed(2, kIpv4,
                        udp_packet(flow(0x17), 5000, 6000,
                                   concat({int_header(0, 6, {hop, first}), payload}))));
}

TEST_CASE("switch int: a watched flow straight to a sink port gets no INT") {
    IntSwitch s;
    s.watch();
    s.sw.set_int_sink_port(2, true);
    Bytes ip = udp_packet(flow(0x0a), 5000, 6000, payload_of(18));
    s.expect_forwarded(from_host(kIpv4, ip), routed(2, kIpv4, ip), 2);
}
