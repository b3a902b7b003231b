// The switch's INT and the collector's decoder agree: a watched packet crosses three real
// switch pipelines (source s1; s2 where container function 7 ended, SID 0xC0007; transit
// s3), the INT data it carries out of s3 is wrapped in Telemetry Report headers as a sink
// would send it, and the collector's C++ reference decoder (the parser the XDP program
// runs) reads back the three hops and the link and function segments with their delays.
//
// The report headers are built here, so this test does not depend on the sink; the sink's own
// report is checked in switch_int_report_test.cpp.
#include <doctest/doctest.h>
#include <linux/pkt_cls.h>

#include <cstdint>
#include <vector>

#include "chima/collector/report_decoder.hpp"
#include "switch_fixture.hpp"

using namespace chima;
using namespace chima::test;

namespace {

Bytes report_of(const Bytes& inner_frame) {
    Bytes report;
    uint32_t word0 = chima_encode_report_word0(1, 4, 0, 0, 0, 0, 1, 0);
    for (uint32_t v : {word0, 3u /* switch id */, 1u /* seq */, 0u /* ts */}) {
        for (int i = 3; i >= 0; --i)
            report.push_back(static_cast<uint8_t>(v >> (8 * i)));
    }
    Ipv4Fields outer;
    outer.src = 0x0a0000fe;
    outer.dst = 0x0a0000ff;
    return concat(
        {ethernet(0x0200000000ffull, 0x0200000000feull, 0x0800),
         udp_packet(outer, 40000, CHIMA_INT_REPORT_UDP_PORT, concat({report, inner_frame}))});
}

struct Hop {
    std::unique_ptr<SwitchFixture> fixture = std::make_unique<SwitchFixture>();
    explicit Hop(uint32_t id) {
        fixture->sw.set_int_switch_id(id);
        fixture->sw.set_prefix_route(*Ipv4::parse("10.0.1.0"), 24, 2);
    }
    Bytes pass(const Bytes& frame) {
        RunResult r = fixture->run(frame);
        REQUIRE(r.error == 0);
        REQUIRE(r.verdict == TC_ACT_REDIRECT);
        return r.output;
    }
};

}  // namespace

TEST_CASE("switch int: a three-switch INT stack decodes into hops, link and function segments") {
    Hop s1(1), s2(2), s3(3);
    s1.fixture->sw.watch_flow(*Ipv4::parse("10.0.0.1"), *Ipv4::parse("10.0.1.2"));
    Bytes frame = concat({ethernet(kSwitchMac + 1, kHostA, 0x0800),
                          udp_packet(Ipv4Fields{}, 5000, 6000, payload_of(32))});
    frame = s1.pass(frame);
    Bytes ip = Bytes(frame.begin() + 14, frame.end());
    frame =
        s2.pass(concat({ethernet(kSwitchMac + 1, kHostA, 0x8847), mpls({int_sid(7), adj(2)}), ip}));
    frame = s3.pass(frame);
    CHECK(ipv4_checksum_ok(frame, 14));
    CHECK(l4_checksum_ok(frame, 14));

    Bytes report = report_of(frame);
    collector::DecodedReport decoded = collector::decode_report(report);
    REQUIRE_MESSAGE(decoded.ok(), collector::status_name(decoded.status));
    const chima_report& r = decoded.report;
    CHECK(r.inner_protocol == CHIMA_IPPROTO_UDP);
    CHECK(r.shim.dscp == 0);
    CHECK(r.md.remaining_hops == 5);
    CHECK(r.md.exceeded == 0);
    REQUIRE(r.hop_count == 3);
    CHECK(r.hops[0].switch_id == 3);
    CHECK(r.hops[1].switch_id == ((7u << CHIMA_INT_FUNCTION_SHIFT) | 2u));
    CHECK(r.hops[2].switch_id == 1);
    for (unsigned i = 0; i < 3; ++i)
        CHECK(r.hops[i].egress_ts - r.hops[i].ingress_ts < 10'000'000u);

    std::vector<collector::SegmentSample> samples = collector::segment_samples(r);
    REQUIRE(samples.size() == 2);
    CHECK(samples[0].key.kind == CHIMA_SEGMENT_LINK);
    CHECK(samples[0].key.a == 2);
    CHECK(samples[0].key.b == 3);
    CHECK(samples[0].delay_ns == r.hops[0].ingress_ts - r.hops[1].egress_ts);
    CHECK(collector::segment_id(samples[0].key) == "link:2-3");
    CHECK(samples[1].key.kind == CHIMA_SEGMENT_FUNCTION);
    CHECK(samples[1].key.a == 7);
    CHECK(samples[1].delay_ns == r.hops[1].ingress_ts - r.hops[2].egress_ts);
    // Test runs follow each other: every segment delay is small and positive.
    CHECK(samples[0].delay_ns < 1'000'000'000u);
    CHECK(samples[1].delay_ns < 1'000'000'000u);
}
