// The switch pipeline, stage by stage, on crafted frames through BPF_PROG_TEST_RUN: input
// bytes, expected output bytes, expected verdict, counters. Function slots run the
// hand-written programs of bpf/testfn.
#include <doctest/doctest.h>
#include <linux/pkt_cls.h>

#include <filesystem>

#include "chima/error.hpp"
#include "switch_fixture.hpp"

using namespace chima;
using namespace chima::test;

namespace {

constexpr uint16_t kIpv4 = 0x0800;
constexpr uint16_t kMpls = 0x8847;
constexpr uint16_t kArp = 0x0806;

Bytes sample_udp(size_t payload = 18) {
    return udp_packet(Ipv4Fields{}, 5000, 6000, payload_of(payload));
}

// What a routed hop out of `port` looks like: MACs of the port's entry, then `rest`.
Bytes routed(uint32_t port, uint16_t ether_type, const Bytes& rest) {
    return concat({ethernet(peer_mac(port), own_mac(port), ether_type), rest});
}

Bytes from_host(uint16_t ether_type, const Bytes& rest) {
    return concat({ethernet(kSwitchMac + 1, kHostA, ether_type), rest});
}

}  // namespace

TEST_CASE("switch: unmanaged IPv4 follows the longest matching prefix and is re-addressed") {
    SwitchFixture s;
    s.sw.set_prefix_route(*Ipv4::parse("10.0.0.0"), 16, 3);
    s.sw.set_prefix_route(*Ipv4::parse("10.0.1.0"), 24, 2);
    Bytes ip = sample_udp();
    s.expect_forwarded(from_host(kIpv4, ip), routed(2, kIpv4, ip), 2);
    CHECK(s.sw.port_counters(1).rx_packets == 1);

    s.sw.delete_prefix_route(*Ipv4::parse("10.0.1.0"), 24);
    s.expect_forwarded(from_host(kIpv4, ip), routed(3, kIpv4, ip), 3);
}

TEST_CASE("switch: an exact MAC entry wins over prefixes and leaves the frame unchanged") {
    SwitchFixture s;
    s.sw.set_prefix_route(*Ipv4::parse("10.0.1.0"), 24, 2);
    s.sw.set_mac_route(Mac{kSwitchMac + 1}, 3);
    Bytes frame = from_host(kIpv4, sample_udp());
    s.expect_forwarded(frame, frame, 3);

    Bytes arp = from_host(kArp, payload_of(28));
    s.expect_forwarded(arp, arp, 3);
}

TEST_CASE("switch: unmanaged traffic without a forwarding entry is dropped as no_route") {
    SwitchFixture s;
    s.expect_dropped(from_host(kIpv4, sample_udp()), CHIMA_DROP_NO_ROUTE);
    s.expect_dropped(from_host(kArp, payload_of(28)), CHIMA_DROP_NO_ROUTE);
}

TEST_CASE("switch: a frame from an interface that is no port is dropped") {
    SwitchFixture s;
    s.sw.set_prefix_route(*Ipv4::parse("10.0.1.0"), 24, 2);
    s.sw.clear_port(1);
    s.expect_dropped(from_host(kIpv4, sample_udp()), CHIMA_DROP_UNKNOWN_INGRESS);
}

TEST_CASE("switch: an adjacency SID pops and forwards, the last pop restores IPv4 (PHP)") {
    SwitchFixture s;
    Bytes ip = sample_udp();
    Bytes out = routed(3, kIpv4, ip);
    s.expect_forwarded(from_host(kMpls, concat({mpls({adj(3)}), ip})), out, 3);
    CHECK(ipv4_checksum_ok(out, 14));
    CHECK(l4_checksum_ok(out, 14));
}

TEST_CASE("switch: an adjacency SID with labels below keeps MPLS and the rest of the stack") {
    SwitchFixture s;
    Bytes ip = sample_udp();
    s.expect_forwarded(from_host(kMpls, concat({mpls({adj(2), adj(7), fn(4)}), ip})),
                       routed(2, kMpls, concat({mpls({adj(7), fn(4)}), ip})), 2);
}

TEST_CASE("switch: an adjacency to a port that is not configured is dropped as bad_port") {
    SwitchFixture s;
    s.expect_dropped(from_host(kMpls, concat({mpls({adj(9)}), sample_udp()})), CHIMA_DROP_BAD_PORT);
    s.expect_dropped(from_host(kMpls, concat({mpls({adj(0x3FFFF)}), sample_udp()})),
                     CHIMA_DROP_BAD_PORT);
}

TEST_CASE("switch: a port without MAC rewrite forwards SR frames with their MACs") {
    SwitchFixture s;
    s.sw.set_port(2, {.ifindex = 102, .own_mac = {}, .peer_mac = {}, .rewrite_mac = false});
    Bytes ip = sample_udp();
    s.expect_forwarded(from_host(kMpls, concat({mpls({adj(2)}), ip})), from_host(kIpv4, ip), 2);
}

TEST_CASE("switch: INT SIDs are parsed and popped (hook reserved for INT)") {
    SwitchFixture s;
    Bytes ip = sample_udp();
    s.expect_forwarded(from_host(kMpls, concat({mpls({int_sid(0), int_sid(5), adj(2)}), ip})),
                       routed(2, kIpv4, ip), 2);
}

TEST_CASE("switch: a stack evaluated to the bottom without adjacency uses the forwarding table") {
    SwitchFixture s;
    s.sw.install_function(1, bpf_object_path("testfn_passthrough"));
    s.sw.set_prefix_route(*Ipv4::parse("10.0.1.2"), 32, 3);
    Bytes ip = sample_udp();
    s.expect_forwarded(from_host(kMpls, concat({mpls({fn(1)}), ip})), routed(3, kIpv4, ip), 3);
}

TEST_CASE("switch: exactly eight labels are evaluated") {
    SwitchFixture s;
    Bytes ip = sample_udp();
    std::vector<uint32_t> labels(7, int_sid(1));
    labels.push_back(adj(2));
    s.expect_forwarded(from_host(kMpls, concat({mpls(labels), ip})), routed(2, kIpv4, ip), 2);
}

TEST_CASE("switch: malformed frames are dropped and counted, never forwarded") {
    SwitchFixture s;
    s.sw.set_prefix_route(*Ipv4::parse("0.0.0.0"), 0, 2);  // anything would be forwardable
    Bytes ip = sample_udp();
    struct Case {
        std::string description;
        Bytes frame;
        unsigned reason;
    };
    std::vector<uint32_t> nine(8, int_sid(1));
    nine.push_back(adj(2));
    Bytes ipv6_like = sample_udp();
    ipv6_like[0] = 0x60;
    Bytes options_past_end(ip.begin(), ip.begin() + 24);  // ihl 15 = 60 bytes claimed
    options_past_end[0] = 0x4f;
    Bytes ihl_too_small = sample_udp();
    ihl_too_small[0] = 0x44;
    Ipv4Fields tcp_fields;
    tcp_fields.protocol = 6;
    Bytes short_tcp = ipv4_packet(tcp_fields, payload_of(12));
    Ipv4Fields udp_fields;
    Bytes short_udp = ipv4_packet(udp_fields, payload_of(4));
    Bytes bad_data_offset = tcp_packet(Ipv4Fields{}, TcpFields{}, {});
    bad_data_offset[20 + 12] = 0x40;  // data offset 4 (< 5)
    const Case cases[] = {
        {"more than 8 labels", from_host(kMpls, concat({mpls(nine), ip})),
         CHIMA_DROP_STACK_TOO_DEEP},
        {"8 labels, none bottom of stack", from_host(kMpls, concat({mpls(nine, 64, false), ip})),
         CHIMA_DROP_STACK_TOO_DEEP},
        {"MPLS type, no label", from_host(kMpls, {}), CHIMA_DROP_TRUNCATED_MPLS},
        {"half a label", from_host(kMpls, {0x80, 0x00}), CHIMA_DROP_TRUNCATED_MPLS},
        {"stack without bottom runs off the end",
         from_host(kMpls, mpls({adj(2), adj(3)}, 64, false)), CHIMA_DROP_TRUNCATED_MPLS},
        {"no IPv4 under the stack", from_host(kMpls, mpls({adj(2)})), CHIMA_DROP_TRUNCATED_IPV4},
        {"IPv6 under the stack", from_host(kMpls, concat({mpls({adj(2)}), ipv6_like})),
         CHIMA_DROP_MPLS_NOT_IPV4},
        {"IPv4 options run past the end", from_host(kIpv4, options_past_end),
         CHIMA_DROP_TRUNCATED_IPV4},
        {"IPv4 under MPLS cut at 19 bytes",
         from_host(kMpls, concat({mpls({adj(2)}), Bytes(ip.begin(), ip.begin() + 19)})),
         CHIMA_DROP_TRUNCATED_IPV4},
        {"IPv4 ihl 4", from_host(kIpv4, ihl_too_small), CHIMA_DROP_TRUNCATED_IPV4},
        {"IPv4 version 6 on EtherType IPv4", from_host(kIpv4, ipv6_like),
         CHIMA_DROP_TRUNCATED_IPV4},
        {"UDP header cut at 4 bytes", from_host(kIpv4, short_udp), CHIMA_DROP_TRUNCATED_L4},
        {"TCP header cut at 12 bytes", from_host(kIpv4, short_tcp), CHIMA_DROP_TRUNCATED_L4},
        {"TCP data offset 4", from_host(kIpv4, bad_data_offset), CHIMA_DROP_TRUNCATED_L4},
        {"SID in block 00", from_host(kMpls, concat({mpls({0x00010}), ip})),
         CHIMA_DROP_UNKNOWN_SID_BLOCK},
        {"SID in block 00 after a valid one", from_host(kMpls, concat({mpls({int_sid(0), 3}), ip})),
         CHIMA_DROP_UNKNOWN_SID_BLOCK},
        {"function slot 0", from_host(kMpls, concat({mpls({fn(0), adj(2)}), ip})),
         CHIMA_DROP_BAD_SLOT},
        {"function slot past the array", from_host(kMpls, concat({mpls({fn(64), adj(2)}), ip})),
         CHIMA_DROP_BAD_SLOT},
        {"empty function slot", from_host(kMpls, concat({mpls({fn(5), adj(2)}), ip})),
         CHIMA_DROP_EMPTY_SLOT},
    };
    for (const Case& c : cases) {
        CAPTURE(c.description);
        s.expect_dropped(c.frame, c.reason);
    }
}

TEST_CASE("switch: the kernel refuses runt frames before TC sees them") {
    // BPF_PROG_TEST_RUN, like the stack, never hands TC fewer than 14 bytes, nor an IPv4
    // frame shorter than an IPv4 header; the pipeline's own truncated_ethernet check and its
    // check of the fixed IPv4 header are there for robustness (IPv4 under MPLS, options and
    // L4 headers are checked above).
    SwitchFixture s;
    s.sw.set_prefix_route(*Ipv4::parse("0.0.0.0"), 0, 2);
    CHECK(s.run(Bytes(10, 0xab)).error != 0);
    Bytes ip = sample_udp();
    CHECK(s.run(from_host(kIpv4, Bytes(ip.begin(), ip.begin() + 10))).error != 0);
    CHECK(s.total_tx() == 0);
}

TEST_CASE("switch: a pass-through function runs and evaluation resumes after it") {
    SwitchFixture s;
    s.sw.install_function(1, bpf_object_path("testfn_passthrough"));
    CHECK(s.sw.slot_program_id(1) != 0);
    Bytes ip = sample_udp();
    s.expect_forwarded(from_host(kMpls, concat({mpls({fn(1), adj(2), adj(3)}), ip})),
                       routed(2, kMpls, concat({mpls({adj(3)}), ip})), 2);
    // Two functions in a row, then PHP.
    s.sw.install_function(2, bpf_object_path("testfn_passthrough"));
    s.expect_forwarded(from_host(kMpls, concat({mpls({fn(1), fn(2), adj(3)}), ip})),
                       routed(3, kIpv4, ip), 3);
}

TEST_CASE("switch: a function's TTL change is deparsed with a correct IPv4 checksum") {
    SwitchFixture s;
    s.sw.install_function(4, bpf_object_path("testfn_set_ttl"));
    Ipv4Fields fields;
    Bytes ip = udp_packet(fields, 5000, 6000, payload_of(30));
    fields.ttl = 42;
    Bytes expected_ip = udp_packet(fields, 5000, 6000, payload_of(30));
    Bytes out = routed(2, kIpv4, expected_ip);
    s.expect_forwarded(from_host(kMpls, concat({mpls({fn(4), adj(2)}), ip})), out, 2);
    CHECK(ipv4_checksum_ok(out, 14));
    CHECK(l4_checksum_ok(out, 14));

    SUBCASE("with IPv4 options the header checksum still covers them") {
        Ipv4Fields with_options;
        with_options.options = {0x94, 0x04, 0x00, 0x00};  // router alert
        Bytes in_ip = udp_packet(with_options, 1, 2, payload_of(8));
        with_options.ttl = 42;
        Bytes want = routed(2, kIpv4, udp_packet(with_options, 1, 2, payload_of(8)));
        s.expect_forwarded(from_host(kMpls, concat({mpls({fn(4), adj(2)}), in_ip})), want, 2);
        CHECK(ipv4_checksum_ok(want, 14));
    }
}

TEST_CASE(
    "switch: non-byte-aligned fields and pseudo-header fields are deparsed, checksums fixed") {
    SwitchFixture s;
    s.sw.install_function(6, bpf_object_path("testfn_rewrite"));
    Ipv4Fields in;
    in.dscp = 10;
    in.ecn = 2;
    in.flags = 0;
    in.frag_offset = 0;
    Ipv4Fields out = in;
    out.dscp = 46;
    out.ecn = 1;
    out.flags = 2;
    out.src = 0x0a090909;

    SUBCASE("UDP") {
        Bytes want = routed(2, kIpv4, udp_packet(out, 5000, 7777, payload_of(21)));
        s.expect_forwarded(from_host(kMpls, concat({mpls({fn(6), adj(2)}),
                                                    udp_packet(in, 5000, 6000, payload_of(21))})),
                           want, 2);
        CHECK(ipv4_checksum_ok(want, 14));
        CHECK(l4_checksum_ok(want, 14));
    }
    SUBCASE("UDP without checksum keeps checksum 0") {
        Bytes want = routed(2, kIpv4, udp_packet(out, 5000, 7777, payload_of(21), false));
        s.expect_forwarded(
            from_host(kMpls, concat({mpls({fn(6), adj(2)}),
                                     udp_packet(in, 5000, 6000, payload_of(21), false)})),
            want, 2);
        CHECK(want[14 + 20 + 6] == 0);
        CHECK(want[14 + 20 + 7] == 0);
    }
    SUBCASE("TCP") {
        TcpFields tcp_in;
        TcpFields tcp_out = tcp_in;
        tcp_out.dst_port = 7777;
        tcp_out.flags = 0x18 | 0x80;  // the function sets the CWR bit
        Bytes want = routed(2, kIpv4, tcp_packet(out, tcp_out, payload_of(40)));
        s.expect_forwarded(from_host(kMpls, concat({mpls({fn(6), adj(2)}),
                                                    tcp_packet(in, tcp_in, payload_of(40))})),
                           want, 2);
        CHECK(ipv4_checksum_ok(want, 14));
        CHECK(l4_checksum_ok(want, 14));
    }
}

TEST_CASE("switch: mark_to_drop in a function drops and counts the packet") {
    SwitchFixture s;
    s.sw.install_function(3, bpf_object_path("testfn_drop"));
    s.expect_dropped(from_host(kMpls, concat({mpls({fn(3), adj(2)}), sample_udp()})),
                     CHIMA_DROP_FUNCTION);
}

TEST_CASE("switch: a function's egress_spec overrides the port segment routing chose") {
    SwitchFixture s;
    s.sw.install_function(2, bpf_object_path("testfn_egress_spec"));  // egress_spec = 3
    Bytes ip = sample_udp();
    s.expect_forwarded(from_host(kMpls, concat({mpls({fn(2), adj(2)}), ip})), routed(3, kIpv4, ip),
                       3);
}

TEST_CASE("switch: popping labels off large frames moves every byte") {
    SwitchFixture s;
    s.sw.install_function(1, bpf_object_path("testfn_set_ttl"));
    for (size_t payload : {100u, 127u, 128u, 129u, 1000u, 1472u}) {
        CAPTURE(payload);
        Ipv4Fields fields;
        Bytes ip = udp_packet(fields, 5000, 6000, payload_of(payload, 3));
        fields.ttl = 42;
        Bytes want = routed(2, kIpv4, udp_packet(fields, 5000, 6000, payload_of(payload, 3)));
        s.expect_forwarded(from_host(kMpls, concat({mpls({int_sid(0), fn(1), adj(2)}), ip})), want,
                           2);
        CHECK(l4_checksum_ok(want, 14));
    }
}

TEST_CASE("switch: slots are replaced and cleared atomically without touching the pipeline") {
    SwitchFixture s;
    Bytes ip = sample_udp();
    Bytes frame = from_host(kMpls, concat({mpls({fn(1), adj(2)}), ip}));
    int pipeline_fd = s.sw.ingress_program_fd();

    s.sw.install_function(1, bpf_object_path("testfn_passthrough"));
    uint32_t first = s.sw.slot_program_id(1);
    s.expect_forwarded(frame, routed(2, kIpv4, ip), 2);

    s.sw.install_function(1, bpf_object_path("testfn_drop"));
    CHECK(s.sw.slot_program_id(1) != first);
    s.expect_dropped(frame, CHIMA_DROP_FUNCTION);
    CHECK(std::filesystem::exists(s.sw.slot_dir(1) / "function"));

    s.sw.clear_slot(1);
    CHECK(s.sw.slot_program_id(1) == 0);
    CHECK(!std::filesystem::exists(s.sw.slot_dir(1)));
    s.expect_dropped(frame, CHIMA_DROP_EMPTY_SLOT);
    CHECK(s.sw.ingress_program_fd() == pipeline_fd);
}

TEST_CASE("switch: bad slot arguments and foreign objects are input errors") {
    SwitchFixture s;
    CHECK_THROWS_AS(s.sw.install_function(0, bpf_object_path("testfn_passthrough")), InputError);
    CHECK_THROWS_AS(s.sw.install_function(CHIMA_MAX_SLOTS, bpf_object_path("testfn_passthrough")),
                    InputError);
    CHECK_THROWS_AS(s.sw.install_function(1, "/nonexistent.bpf.o"), InputError);
    // The switch pipeline itself has two programs and is no function.
    CHECK_THROWS_AS(s.sw.install_function(1, bpf_object_path("chima_switch")), InputError);
    // A program without the shared maps.
    CHECK_THROWS_AS(s.sw.install_function(1, bpf_object_path("smoke")), InputError);
    CHECK(s.sw.slot_program_id(1) == 0);
    CHECK_THROWS_AS(s.sw.set_port(0, {.ifindex = 5, .own_mac = {}, .peer_mac = {}}), InputError);
    CHECK_THROWS_AS(s.sw.set_port(CHIMA_MAX_PORTS, {.ifindex = 5, .own_mac = {}, .peer_mac = {}}),
                    InputError);
    CHECK_THROWS_AS(s.sw.set_prefix_route(Ipv4{}, 33, 1), InputError);
}

TEST_CASE("switch: pins are reopened by another handle and removed without leftovers") {
    TempPinDir dir("s9");
    {
        auto sw = bpf::SwitchPipeline::create(dir.path());
        sw.set_port(1, {.ifindex = 1, .own_mac = Mac{own_mac(1)}, .peer_mac = Mac{peer_mac(1)}});
        sw.set_port(2, {.ifindex = 102, .own_mac = Mac{own_mac(2)}, .peer_mac = Mac{peer_mac(2)}});
        sw.install_function(1, bpf_object_path("testfn_passthrough"));
        CHECK_THROWS_AS(bpf::SwitchPipeline::create(dir.path()), RuntimeError);
    }
    // A later process: everything it needs comes from the pins, slots stay filled.
    auto sw = bpf::SwitchPipeline::open(dir.path());
    CHECK(sw.slot_program_id(1) != 0);
    Bytes ip = sample_udp();
    RunResult r =
        run_program(sw.ingress_program_fd(), from_host(kMpls, concat({mpls({fn(1), adj(2)}), ip})));
    CHECK(r.verdict == TC_ACT_REDIRECT);
    CHECK(r.output == routed(2, kIpv4, ip));
    CHECK(sw.port_counters(2).tx_packets == 1);

    bpf::SwitchPipeline::remove(dir.path());
    CHECK(!std::filesystem::exists(dir.path()));
    bpf::SwitchPipeline::remove(dir.path());  // idempotent
    CHECK_THROWS_AS(bpf::SwitchPipeline::open(dir.path()), RuntimeError);
}
