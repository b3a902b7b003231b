// The user-space report decoder (the same parser as the XDP program) field by field, the
// segment samples a report yields, and the fixed-point EWMA against double precision.
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <set>

#include "chima/collector/ewma.hpp"
#include "chima/collector/report_decoder.hpp"
#include "chima/collector/report_encoder.hpp"
#include "chima/collector/sections.hpp"
#include "chima/error.hpp"

using namespace chima::collector;

TEST_CASE("collector decoder: every header field lands where the specs put it") {
    ReportSpec spec;
    spec.switch_id = 0xA1B2C3D4;
    spec.seq_no = 0x01020304;
    spec.ingress_ts = 0xFFFFFFF0;
    spec.original_dscp = 0x2E;
    spec.remaining_hops = 5;
    spec.exceeded = true;
    spec.hops = {{0x00194010, 0x11223344, 0x55667788}, {3, 4, 5}};
    auto frame = encode_report(spec);
    // Byte positions from the specs, independent of the parser: the report header starts
    // after Ethernet (14) + IPv4 (20) + UDP (8).
    CHECK(frame[42] == 0x14);  // ver 1, length 4
    CHECK(frame[43] == 0x00);  // nproto 0, rep_md_bits 0
    CHECK(frame[44] == 0x00);  // reserved, D
    CHECK(frame[45] == 0x41);  // Q 0, F 1, hw id 1

    auto d = decode_report(frame);
    REQUIRE(d.ok());
    const auto& r = d.report;
    CHECK(r.header.version == 1);
    CHECK(r.header.length == 4);
    CHECK(r.header.next_proto == 0);
    CHECK(r.header.tracked == 1);
    CHECK(r.header.dropped == 0);
    CHECK(r.header.congested == 0);
    CHECK(r.header.hw_id == 1);
    CHECK(r.header.switch_id == 0xA1B2C3D4);
    CHECK(r.header.seq_no == 0x01020304);
    CHECK(r.header.ingress_ts == 0xFFFFFFF0);
    CHECK(r.inner_protocol == CHIMA_IPPROTO_UDP);
    CHECK(r.int_offset == 42 + 16 + 14 + 20 + 8);
    CHECK(r.shim.type == 1);
    CHECK(r.shim.length == 3 + 3 * 2);
    CHECK(r.shim.dscp == 0x2E);
    CHECK(r.md.version == 1);
    CHECK(r.md.exceeded == 1);
    CHECK(r.md.copy == 0);
    CHECK(r.md.hop_ml == 3);
    CHECK(r.md.remaining_hops == 5);
    CHECK(r.md.instructions == 0x8C00);
    REQUIRE(r.hop_count == 2);
    CHECK(r.hops[0].switch_id == 0x00194010);
    CHECK(r.hops[0].ingress_ts == 0x11223344);
    CHECK(r.hops[0].egress_ts == 0x55667788);
    CHECK(r.hops[1].switch_id == 3);
}

TEST_CASE("collector decoder: the report header's flag bits") {
    std::uint32_t w = chima_encode_report_word0(1, 4, 2, 0x3F, 1, 1, 1, 0x2A);
    std::uint8_t bytes[16] = {static_cast<std::uint8_t>(w >> 24),
                              static_cast<std::uint8_t>(w >> 16), static_cast<std::uint8_t>(w >> 8),
                              static_cast<std::uint8_t>(w)};
    chima_report_header h{};
    chima_decode_report_header(bytes, &h);
    CHECK(h.next_proto == 2);
    CHECK(h.rep_md_bits == 0x3F);
    CHECK(h.dropped == 1);
    CHECK(h.congested == 1);
    CHECK(h.tracked == 1);
    CHECK(h.hw_id == 0x2A);
    CHECK(w == 0x145F8000u + 0x100 + 0x80 + 0x40 + 0x2A);
}

TEST_CASE("collector decoder: samples are later ingress minus earlier egress, mod 2^32") {
    chima_report r{};
    r.hop_count = 3;
    std::uint32_t tag = 7u << CHIMA_INT_FUNCTION_SHIFT;
    r.hops[0] = {tag | 5, 100, 200};            // function 7 ends at switch 5
    r.hops[1] = {5, 0xFFFFFF00u, 0xFFFFFFF0u};  // switch 5 sends to the host
    r.hops[2] = {4, 0xFFFFF000u, 0xFFFFF100u};  // oldest
    auto samples = segment_samples(r);
    REQUIRE(samples.size() == 2);
    CHECK(samples[0].key.kind == CHIMA_SEGMENT_FUNCTION);
    CHECK(samples[0].key.a == 7);
    CHECK(samples[0].delay_ns == 100u + 0x10u);
    CHECK(samples[1].key == link_segment(4, 5));
    CHECK(samples[1].delay_ns == 0xFFFFFF00u - 0xFFFFF100u);
    CHECK(segment_id(samples[0].key) == "function:7");
    CHECK(segment_id(samples[1].key) == "link:4-5");
}

TEST_CASE("collector decoder: reasons have distinct stable names") {
    std::set<std::string> names;
    for (int s = 0; s < CHIMA_REPORT_STATUS_COUNT; ++s)
        names.insert(std::string(status_name(static_cast<chima_report_status>(s))));
    CHECK(names.size() == CHIMA_REPORT_STATUS_COUNT);
    CHECK(names.count("truncated"));
    CHECK(names.count("int_length"));
}

TEST_CASE("collector EWMA: fixed point within 0.1% of double precision") {
    std::mt19937_64 rng(17);
    std::uniform_real_distribution<double> alpha_dist(1e-4, 1.0);
    for (int run = 0; run < 200; ++run) {
        double alpha = run == 0 ? 1.0 : alpha_dist(rng);
        CAPTURE(alpha);
        std::uint64_t q = alpha_to_q32(alpha);
        EwmaReference ref(alpha);
        chima_segment_state s{};
        std::uniform_int_distribution<std::uint32_t> level(0, 0xFFFFFFFFu);
        std::uint32_t lo = level(rng) / 2, hi = lo + level(rng) / 2;
        std::uniform_int_distribution<std::uint32_t> sample(lo, hi);
        for (int i = 0; i < 3000; ++i) {
            std::uint32_t x = sample(rng);
            chima_segment_apply_sample(&s, x, q);
            ref.add(x);
        }
        double latency = static_cast<double>(s.latency_q16) / 65536.0;
        double jitter = static_cast<double>(s.jitter_q16) / 65536.0;
        CHECK(std::fabs(latency - ref.latency_ns()) <= std::max(1.0, ref.latency_ns() * 1e-3));
        CHECK(std::fabs(jitter - ref.jitter_ns()) <= std::max(1.0, ref.jitter_ns() * 1e-3));
    }
}

TEST_CASE("collector EWMA: alpha must be greater than 0 and at most 1") {
    CHECK(alpha_to_q32(1.0) == CHIMA_EWMA_ALPHA_ONE);
    CHECK(alpha_to_q32(0.125) == CHIMA_EWMA_ALPHA_ONE / 8);
    CHECK(alpha_to_q32(1e-12) == 1);
    CHECK_THROWS_AS(alpha_to_q32(0.0), chima::InputError);
    CHECK_THROWS_AS(alpha_to_q32(1.5), chima::InputError);
    CHECK_THROWS_AS(alpha_to_q32(-0.1), chima::InputError);
    CHECK_THROWS_AS(alpha_to_q32(std::nan("")), chima::InputError);
}

TEST_CASE("collector: sequence gaps modulo 2^32") {
    CHECK(chima_seq_gap(1, 2) == 0);
    CHECK(chima_seq_gap(1, 5) == 3);
    CHECK(chima_seq_gap(5, 4) == 0);  // late
    CHECK(chima_seq_gap(5, 5) == 0);  // duplicate
    CHECK(chima_seq_gap(0xFFFFFFFFu, 1) == 1);
}
