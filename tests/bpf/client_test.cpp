// The host client on crafted frames through BPF_PROG_TEST_RUN: label stack push (RFC 3032),
// atomic replacement, unmanaged traffic untouched; and a client frame through a switch.
#include <doctest/doctest.h>
#include <linux/pkt_cls.h>

#include "bpf_run.hpp"
#include "chima/bpf/host_client.hpp"
#include "chima/error.hpp"
#include "switch_fixture.hpp"

using namespace chima;
using namespace chima::test;

namespace {

constexpr uint64_t kGateway = 0x020000000101ull;
const Ipv4 kSrc{0x0a000001};  // 10.0.0.1
const Ipv4 kDst{0x0a000102};  // 10.0.1.2

LabelStack stack_of(std::initializer_list<SegmentId> sids) {
    LabelStack s;
    for (const auto& sid : sids)
        s.push_back(sid);
    return s;
}

Bytes client_frame(const Bytes& ip) {
    return concat({ethernet(kGateway, kHostA, 0x0800), ip});
}

struct ClientFixture {
    TempPinDir dir{"client"};
    bpf::HostClient client = bpf::HostClient::create(dir.path());
    RunResult run(const Bytes& in) { return run_program(client.egress_program_fd(), in); }
};

}  // namespace

TEST_CASE("client: a managed flow gets its label stack between Ethernet and IPv4") {
    ClientFixture c;
    LabelStack stack =
        stack_of({SegmentId::function(1), SegmentId::adjacency(2), SegmentId::adjacency(3)});
    c.client.set_flow(kSrc, kDst, stack);
    Bytes ip = udp_packet(Ipv4Fields{}, 5000, 6000, payload_of(18));
    RunResult r = c.run(client_frame(ip));
    REQUIRE(r.error == 0);
    CHECK(r.verdict == TC_ACT_OK);
    Bytes want =
        concat({ethernet(kGateway, kHostA, 0x8847), mpls({0x40001, 0x80002, 0x80003}, 64), ip});
    CHECK_MESSAGE(r.output == want, hex(r.output));
    CHECK(LabelStack::decode(r.output.data() + 14, r.output.size() - 14) == stack);
    auto counters = c.client.counters();
    CHECK(counters.pushed == 1);
    CHECK(counters.pushed_bytes == client_frame(ip).size());
}

TEST_CASE("client: TTL and traffic class are encoded per RFC 3032") {
    ClientFixture c;
    c.client.set_flow(kSrc, kDst, stack_of({SegmentId::adjacency(2)}), 17, 5);
    Bytes ip = udp_packet(Ipv4Fields{}, 1, 2, {});
    RunResult r = c.run(client_frame(ip));
    // label 0x80002 << 12 | TC 5 << 9 | S << 8 | TTL 17
    uint32_t entry = (0x80002u << 12) | (5u << 9) | (1u << 8) | 17u;
    Bytes want =
        concat({ethernet(kGateway, kHostA, 0x8847),
                {uint8_t(entry >> 24), uint8_t(entry >> 16), uint8_t(entry >> 8), uint8_t(entry)},
                ip});
    CHECK_MESSAGE(r.output == want, hex(r.output));
    CHECK_THROWS_AS(c.client.set_flow(kSrc, kDst, stack_of({SegmentId::adjacency(2)}), 64, 8),
                    InputError);
}

TEST_CASE("client: unmanaged flows and non-IPv4 frames pass unchanged") {
    ClientFixture c;
    c.client.set_flow(kSrc, kDst, stack_of({SegmentId::adjacency(2)}));
    Ipv4Fields other;
    other.dst = 0x0a000199;
    Bytes frame = client_frame(udp_packet(other, 1, 2, payload_of(10)));
    RunResult r = c.run(frame);
    CHECK(r.verdict == TC_ACT_OK);
    CHECK(r.output == frame);
    Bytes arp = concat({ethernet(kGateway, kHostA, 0x0806), payload_of(28)});
    r = c.run(arp);
    CHECK(r.output == arp);
    CHECK(c.client.counters().unmanaged == 2);
    CHECK(c.client.counters().pushed == 0);
}

TEST_CASE("client: replacing a flow's stack switches every later packet, delete stops it") {
    ClientFixture c;
    Bytes ip = udp_packet(Ipv4Fields{}, 5000, 6000, payload_of(18));
    c.client.set_flow(kSrc, kDst, stack_of({SegmentId::adjacency(2)}));
    CHECK(c.run(client_frame(ip)).output ==
          concat({ethernet(kGateway, kHostA, 0x8847), mpls({0x80002}), ip}));

    LabelStack longer;
    for (uint32_t slot = 1; slot <= 7; ++slot)
        longer.push_back(SegmentId::function(slot));
    longer.push_back(SegmentId::adjacency(9));
    c.client.set_flow(kSrc, kDst, longer);
    CHECK(c.client.flow(kSrc, kDst) == longer);
    RunResult r = c.run(client_frame(ip));
    CHECK(r.output.size() == client_frame(ip).size() + 32);
    CHECK(LabelStack::decode(r.output.data() + 14, r.output.size() - 14) == longer);

    c.client.delete_flow(kSrc, kDst);
    c.client.delete_flow(kSrc, kDst);  // idempotent
    CHECK(!c.client.flow(kSrc, kDst).has_value());
    CHECK(c.run(client_frame(ip)).output == client_frame(ip));
    CHECK_THROWS_AS(c.client.set_flow(kSrc, kDst, LabelStack{}), InputError);
}

TEST_CASE("client: pins are reopened and removed") {
    TempPinDir dir("c9");
    {
        auto client = bpf::HostClient::create(dir.path());
        client.set_flow(kSrc, kDst, stack_of({SegmentId::adjacency(4)}));
        CHECK_THROWS_AS(bpf::HostClient::create(dir.path()), RuntimeError);
    }
    auto client = bpf::HostClient::open(dir.path());
    CHECK(client.flow(kSrc, kDst) == stack_of({SegmentId::adjacency(4)}));
    bpf::HostClient::remove(dir.path());
    CHECK(!std::filesystem::exists(dir.path()));
}

TEST_CASE("client + switch: a pushed frame crosses a function and leaves as plain IPv4") {
    ClientFixture c;
    SwitchFixture s;
    s.sw.install_function(1, bpf_object_path("testfn_passthrough"));
    c.client.set_flow(kSrc, kDst, stack_of({SegmentId::function(1), SegmentId::adjacency(3)}));
    Bytes ip = tcp_packet(Ipv4Fields{}, TcpFields{}, payload_of(64));
    RunResult pushed = c.run(client_frame(ip));
    REQUIRE(pushed.verdict == TC_ACT_OK);
    Bytes out = concat({ethernet(peer_mac(3), own_mac(3), 0x0800), ip});
    s.expect_forwarded(pushed.output, out, 3);
    CHECK(ipv4_checksum_ok(out, 14));
    CHECK(l4_checksum_ok(out, 14));
}
