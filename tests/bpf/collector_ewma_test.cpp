// The EWMA the XDP program keeps per segment, over random delay sequences, against the
// double-precision reference (within 0.1%), for alphas across (0, 1]; and the ring buffer
// event a watched section sends when its sum crosses a threshold: once per crossing.
#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "chima/collector/ewma.hpp"
#include "chima/error.hpp"
#include "chima/collector/sections.hpp"
#include "collector_harness.hpp"

using namespace chima::collector;
using chima::test::CollectorHarness;
using chima::test::hop;

namespace {

// A 2-hop report: link 1 -> 2 with the given delay, starting near the clock's wrap.
std::vector<std::uint8_t> link_report(std::uint32_t delay_ns, std::uint32_t t0,
                                      std::uint32_t upstream = 1, std::uint32_t downstream = 2) {
    ReportSpec spec;
    std::uint32_t egress = t0 + 500;
    spec.hops = {hop(downstream, egress + delay_ns, egress + delay_ns + 700),
                 hop(upstream, t0, egress)};
    return encode_report(spec);
}

void check_close(double fixed, double reference, const char* what) {
    double tolerance = std::max(std::fabs(reference) * 1e-3, 1.0);  // 0.1%, or 1 ns near 0
    CHECK_MESSAGE(std::fabs(fixed - reference) <= tolerance,
                  what << ": fixed " << fixed << " vs double " << reference);
}

}  // namespace

TEST_CASE("collector: fixed-point EWMA in the kernel tracks the double reference") {
    std::mt19937 rng(2024);
    for (double alpha : {1.0, 0.5, 0.125, 1.0 / 3.0, 0.01, 0.001, 1.0 / 1024}) {
        CAPTURE(alpha);
        CollectorHarness h;
        h.program.configure(alpha_to_q32(alpha));
        EwmaReference reference(alpha);
        std::uniform_int_distribution<std::uint32_t> base(1'000, 40'000'000);
        std::uint32_t mean = base(rng);
        std::uint32_t t0 = 0xFFFF0000u;
        for (int i = 0; i < 2000; ++i) {
            if (i == 1000)
                mean = base(rng);  // a step change half way
            std::normal_distribution<double> noise(mean, mean * 0.2);
            auto delay = static_cast<std::uint32_t>(std::clamp(noise(rng), 0.0, 4.0e9));
            REQUIRE(h.run(link_report(delay, t0)) == XDP_DROP);
            reference.add(delay);
            t0 += 7'777'777;  // wraps several times
            if (i % 97 == 0 || i == 1999) {
                auto r = h.segment(link_segment(1, 2));
                REQUIRE(r.has_value());
                check_close(r->latency_ns, reference.latency_ns(), "latency");
                check_close(r->jitter_ns, reference.jitter_ns(), "jitter");
                CHECK(r->samples == reference.samples());
            }
        }
    }
}

TEST_CASE("collector: extreme samples keep the fixed point within 0.1%") {
    for (double alpha : {1.0, 0.125, 1e-6}) {
        CAPTURE(alpha);
        CollectorHarness h;
        h.program.configure(alpha_to_q32(alpha));
        EwmaReference reference(alpha);
        for (std::uint32_t delay : {0u, 0xFFFFFFFFu, 0u, 0xFFFFFFFFu, 1u, 0x80000000u}) {
            REQUIRE(h.run(link_report(delay, 0x10)) == XDP_DROP);
            reference.add(delay);
        }
        auto r = h.segment(link_segment(1, 2));
        REQUIRE(r.has_value());
        check_close(r->latency_ns, reference.latency_ns(), "latency");
        check_close(r->jitter_ns, reference.jitter_ns(), "jitter");
    }
}

TEST_CASE("collector: a watched section sends one event per threshold crossing") {
    CollectorHarness h;
    h.program.configure(CHIMA_EWMA_ALPHA_ONE >> 1);  // alpha 0.5
    WatchedSection section;
    section.chain = "chain0";
    section.name = "s1-s2-s3";
    section.latency_threshold_ns = 10'000'000;  // 10 ms over two links
    section.segments = {{link_segment(1, 2), "s1-s2"}, {link_segment(2, 3), "s2-s3"}};
    SectionTable table = configure_from_sections(h.program, {section});

    std::vector<chima_collector_event> events;
    EventStream stream(h.program, [&](const chima_collector_event& e) { events.push_back(e); });

    auto two_links = [&](std::uint32_t first_ns, std::uint32_t second_ns) {
        ReportSpec spec;
        spec.hops = {hop(3, 2000 + first_ns + second_ns, 0),
                     hop(2, 1000 + first_ns, 2000 + first_ns), hop(1, 0, 1000)};
        REQUIRE(h.run(encode_report(spec)) == XDP_DROP);
        stream.poll(0);
    };
    for (int i = 0; i < 20; ++i)
        two_links(2'000'000, 3'000'000);  // 5 ms: below
    CHECK(events.empty());
    two_links(2'000'000, 30'000'000);  // s2-s3 EWMA 16.5 ms: the sum crosses at once
    REQUIRE(events.size() == 1);
    const auto& up = events[0];
    CHECK(up.section == 1);
    CHECK(up.metric == CHIMA_METRIC_LATENCY);
    CHECK(up.above == 1);
    CHECK(up.threshold_ns == 10'000'000);
    CHECK(up.value_ns == 18'500'000);  // 2 ms + (3 + 30) / 2 ms
    CHECK(up.segment.kind == CHIMA_SEGMENT_LINK);
    CHECK(up.segment.a == 2);
    CHECK(up.segment.b == 3);
    CHECK(up.segment_value_ns == 16'500'000);  // s2-s3 alone
    CHECK(table.section(up.section)->name == "s1-s2-s3");

    for (int i = 0; i < 10; ++i)
        two_links(2'000'000, 30'000'000);  // stays above: no event
    CHECK(events.size() == 1);
    for (int i = 0; i < 20; ++i)
        two_links(1'000'000, 1'000'000);  // back below: one event
    REQUIRE(events.size() == 2);
    CHECK(events[1].above == 0);
    for (int i = 0; i < 20; ++i)
        two_links(1'000'000, 1'000'000);
    CHECK(events.size() == 2);
    two_links(1'000'000, 60'000'000);  // above again: one more
    REQUIRE(events.size() == 3);
    CHECK(events[2].above == 1);
    CHECK(h.program.read_counters().events_lost == 0);
}

TEST_CASE("collector: jitter thresholds watch the jitter EWMA") {
    CollectorHarness h;
    h.program.configure(CHIMA_EWMA_ALPHA_ONE);  // alpha 1: the last jitter sample
    WatchedSection section;
    section.chain = "c";
    section.name = "fn";
    section.jitter_threshold_ns = 1'000'000;
    section.segments = {{function_segment(101), "toupper"}};
    configure_from_sections(h.program, {section});
    std::vector<chima_collector_event> events;
    EventStream stream(h.program, [&](const chima_collector_event& e) { events.push_back(e); });
    std::uint32_t tag = 101u << CHIMA_INT_FUNCTION_SHIFT;
    auto run_function = [&](std::uint32_t ns) {
        ReportSpec spec;
        spec.hops = {hop(tag | 11, 1000 + ns, 0), hop(11, 0, 1000)};
        REQUIRE(h.run(encode_report(spec)) == XDP_DROP);
        stream.poll(0);
    };
    run_function(5'000'000);
    run_function(5'100'000);
    CHECK(events.empty());
    run_function(7'000'000);  // jitter 1.9 ms
    REQUIRE(events.size() == 1);
    CHECK(events[0].metric == CHIMA_METRIC_JITTER);
    CHECK(events[0].value_ns == 1'900'000);
    CHECK(events[0].segment.kind == CHIMA_SEGMENT_FUNCTION);
}

TEST_CASE("collector: configuring sections keeps the EWMA of existing segments") {
    CollectorHarness h;
    h.program.configure(CHIMA_EWMA_ALPHA_ONE);
    REQUIRE(h.run(link_report(4242, 0)) == XDP_DROP);
    WatchedSection section;
    section.chain = "c";
    section.name = "x";
    section.latency_threshold_ns = 1;
    section.segments = {{link_segment(1, 2), ""}};
    configure_from_sections(h.program, {section});
    auto r = h.segment(link_segment(1, 2));
    REQUIRE(r.has_value());
    CHECK(r->latency_ns == 4242);
    CHECK(r->samples == 1);

    // The section's sum starts from what the segment held: the next (equal) sample, which
    // changes nothing, already finds it above the threshold.
    std::vector<chima_collector_event> events;
    EventStream stream(h.program, [&](const chima_collector_event& e) { events.push_back(e); });
    REQUIRE(h.run(link_report(4242, 0)) == XDP_DROP);
    stream.poll(0);
    REQUIRE(events.size() == 1);
    CHECK(events[0].value_ns == 4242);

    CHECK_THROWS_AS(configure_from_sections(
                        h.program, std::vector<WatchedSection>(CHIMA_SEGMENT_MAX_SECTIONS + 1,
                                                               section)),  // all on one segment
                    chima::InputError);
}
