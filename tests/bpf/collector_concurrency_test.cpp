// Several CPUs updating the same segments at once: the per-segment lock must lose no
// sample and keep each EWMA between the delays it was fed. Two threads run the program
// with BPF_PROG_TEST_RUN at the same time (each run executes on its thread's CPU), with
// reports from different switches over the same three links.
#include <doctest/doctest.h>

#include <latch>
#include <thread>

#include "chima/collector/sections.hpp"
#include "collector_harness.hpp"
#include "skip.hpp"

using namespace chima::collector;
using chima::test::CollectorHarness;
using chima::test::hop;

namespace {

// 4 hops over switches 1 -> 2 -> 3 -> 4, every link with `delay_ns`, reported by `reporter`.
std::vector<std::uint8_t> path_report(std::uint32_t reporter, std::uint32_t delay_ns) {
    ReportSpec spec;
    spec.switch_id = reporter;
    spec.seq_no = 1;
    std::uint32_t t = 0xFFFFF000u;  // wraps on the way
    std::vector<chima_int_hop> hops;
    for (std::uint32_t sw = 1; sw <= 4; ++sw) {
        hops.insert(hops.begin(), hop(sw, t, t + 300));
        t += 300 + delay_ns;
    }
    spec.hops = hops;
    return encode_report(spec);
}

}  // namespace

TEST_CASE("collector: concurrent updates of one segment from two CPUs lose no sample") {
    if (std::thread::hardware_concurrency() < 2) {
        chima::test::skip_test_case("one CPU: nothing runs in parallel");
        return;
    }
    CollectorHarness h;
    constexpr int kRuns = 300'000;
    const std::uint32_t delays[2] = {1'000, 3'000};
    std::latch start(2);
    int verdicts[2] = {-1, -1};
    auto worker = [&](int i) {
        auto frame = path_report(100 + static_cast<std::uint32_t>(i), delays[i]);
        start.arrive_and_wait();
        verdicts[i] = h.run(frame, kRuns);
    };
    std::thread a(worker, 0), b(worker, 1);
    a.join();
    b.join();
    REQUIRE(verdicts[0] == XDP_DROP);
    REQUIRE(verdicts[1] == XDP_DROP);

    auto counters = h.program.read_counters();
    CHECK(counters.reports == 2u * kRuns);
    CHECK(counters.samples == 6u * kRuns);
    for (std::uint32_t sw = 1; sw < 4; ++sw) {
        CAPTURE(sw);
        auto r = h.segment(link_segment(sw, sw + 1));
        REQUIRE(r.has_value());
        CHECK(r->samples == 2u * kRuns);
        CHECK(r->latency_ns >= delays[0]);
        CHECK(r->latency_ns <= delays[1]);
        CHECK(r->jitter_ns <= delays[1] - delays[0]);
    }
    // Each reporting switch is counted on its own (no gaps: the same sequence number).
    auto seqs = h.program.read_sequences();
    REQUIRE(seqs.size() == 2);
    for (const auto& s : seqs) {
        CHECK(s.reports == static_cast<std::uint64_t>(kRuns));
        CHECK(s.gaps == 0);
    }
}
