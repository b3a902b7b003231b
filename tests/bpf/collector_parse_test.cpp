// The collector's XDP program on crafted reports: what it takes from good ones (1 to 8
// hops, timestamps wrapping around 2^32, function segments), what it drops and counts
// (every malformed field and every truncation), and what it lets through. Expected values
// are computed here from the hops, independently of the shared parser; the C++ decoder
// built from the same header must agree with the kernel on every frame.
#include <doctest/doctest.h>

#include <algorithm>
#include <iterator>
#include <random>
#include <set>

#include "chima/collector/report_decoder.hpp"
#include "chima/collector/sections.hpp"
#include "collector_harness.hpp"

using namespace chima::collector;
using chima::test::CollectorHarness;
using chima::test::hop;

namespace {

// A report whose hops were at switches 1..n (hop 0, the newest, at switch n), each link
// taking `link_ns[i]`, crossing zero of the 32-bit clock on the way when `start` is high.
ReportSpec chain_report(unsigned n, std::uint32_t start,
                        const std::vector<std::uint32_t>& link_ns) {
    ReportSpec spec;
    std::uint32_t t = start;
    std::vector<chima_int_hop> oldest_first;
    for (unsigned i = 0; i < n; ++i) {
        std::uint32_t ingress = t;
        std::uint32_t egress = ingress + 1000;  // 1 us in the switch
        oldest_first.push_back(hop(i + 1, ingress, egress));
        if (i + 1 < n)
            t = egress + link_ns[i];
    }
    spec.hops.assign(oldest_first.rbegin(), oldest_first.rend());
    return spec;
}

}  // namespace

TEST_CASE("collector: 1 to 8 hops give one sample per link, across the 2^32 wrap") {
    std::mt19937 rng(6);
    for (unsigned n = 1; n <= CHIMA_INT_MAX_HOPS; ++n) {
        for (std::uint32_t start : {100u, 0xFFFFF000u, 0xFFFFFFFEu - 3000u}) {
            CAPTURE(n);
            CAPTURE(start);
            std::vector<std::uint32_t> links;
            for (unsigned i = 0; i + 1 < n; ++i)
                links.push_back(rng() % 50'000'000u);
            CollectorHarness h;
            auto frame = encode_report(chain_report(n, start, links));
            REQUIRE(h.run(frame) == XDP_DROP);

            auto counters = h.program.read_counters();
            CHECK(counters.reports == 1);
            CHECK(counters.samples == n - 1);
            auto readings = h.program.read_segments();
            CHECK(readings.size() == n - 1);
            for (unsigned i = 0; i + 1 < n; ++i) {
                auto r = h.segment(link_segment(i + 1, i + 2));
                REQUIRE_MESSAGE(r.has_value(), "link " << i + 1 << "->" << i + 2);
                CHECK(r->latency_ns == static_cast<double>(links[i]));
                CHECK(r->jitter_ns == 0);
                CHECK(r->samples == 1);
            }
            // The C++ reference decoder agrees sample for sample.
            auto decoded = decode_report(frame);
            REQUIRE(decoded.ok());
            auto samples = segment_samples(decoded.report);
            REQUIRE(samples.size() == n - 1);
            for (const auto& s : samples) {
                auto r = h.segment(s.key);
                REQUIRE(r.has_value());
                CHECK(r->latency_ns == static_cast<double>(s.delay_ns));
            }
        }
    }
}

TEST_CASE("collector: TCP inner packets and optional report words are parsed") {
    CollectorHarness h;
    ReportSpec spec;
    spec.inner_protocol = CHIMA_IPPROTO_TCP;
    spec.tcp_data_offset = 8;  // 12 option bytes
    spec.inner_ihl = 6;
    spec.outer_ihl = 7;
    spec.report_length = 6;
    spec.hops = {hop(2, 5000, 6000), hop(1, 0, 1000)};
    REQUIRE(h.run(encode_report(spec)) == XDP_DROP);
    auto r = h.segment(link_segment(1, 2));
    REQUIRE(r.has_value());
    CHECK(r->latency_ns == 4000);
}

TEST_CASE("collector: the hop ending a function gives a function segment") {
    CollectorHarness h;
    ReportSpec spec;
    // s0 -> s11 -> (function 101 on a host behind s11) -> s11 -> s0, newest first.
    std::uint32_t tag = 101u << CHIMA_INT_FUNCTION_SHIFT;
    spec.hops = {hop(0, 90'000, 91'000), hop(tag | 11, 70'000, 71'000), hop(11, 10'000, 11'000),
                 hop(0, 0, 1'000)};
    REQUIRE(h.run(encode_report(spec)) == XDP_DROP);
    auto fn = h.segment(function_segment(101));
    REQUIRE(fn.has_value());
    CHECK(fn->latency_ns == 59'000);  // 70'000 - 11'000
    auto up = h.segment(link_segment(0, 11));
    auto down = h.segment(link_segment(11, 0));
    REQUIRE(up.has_value());
    REQUIRE(down.has_value());
    CHECK(up->latency_ns == 9'000);
    CHECK(down->latency_ns == 19'000);  // 90'000 - 71'000: the tag is masked off
    CHECK(h.program.read_segments().size() == 3);
}

TEST_CASE("collector: a pair with an unavailable timestamp gives no sample") {
    CollectorHarness h;
    ReportSpec spec;
    spec.hops = {hop(3, 9000, 9500), hop(2, CHIMA_INT_VALUE_UNAVAILABLE, 5000), hop(1, 0, 1000)};
    REQUIRE(h.run(encode_report(spec)) == XDP_DROP);
    CHECK(h.segment(link_segment(2, 3)).has_value());
    CHECK_FALSE(h.segment(link_segment(1, 2)).has_value());
    CHECK(h.program.read_counters().unavailable_samples == 1);
}

TEST_CASE("collector: every malformed field is dropped and counted under its reason") {
    struct Case {
        const char* name;
        void (*mutate)(ReportSpec&);
        chima_report_status expected;
    };
    const Case cases[] = {
        {"report version 0", [](ReportSpec& s) { s.report_version = 0; },
         CHIMA_REPORT_REPORT_VERSION},
        {"report version 2", [](ReportSpec& s) { s.report_version = 2; },
         CHIMA_REPORT_REPORT_VERSION},
        {"report length 3", [](ReportSpec& s) { s.report_length = 3; }, CHIMA_REPORT_REPORT_LENGTH},
        {"report length 0", [](ReportSpec& s) { s.report_length = 0; }, CHIMA_REPORT_REPORT_LENGTH},
        {"next proto IPv4", [](ReportSpec& s) { s.next_proto = 1; }, CHIMA_REPORT_NEXT_PROTO},
        {"next proto 7", [](ReportSpec& s) { s.next_proto = 7; }, CHIMA_REPORT_NEXT_PROTO},
        {"inner VLAN", [](ReportSpec& s) { s.inner_ethertype = 0x8100; },
         CHIMA_REPORT_INNER_ETHERTYPE},
        {"inner IPv6", [](ReportSpec& s) { s.inner_ethertype = 0x86DD; },
         CHIMA_REPORT_INNER_ETHERTYPE},
        {"inner IP version 6", [](ReportSpec& s) { s.inner_ip_version = 6; },
         CHIMA_REPORT_INNER_IPV4},
        {"inner IHL 4", [](ReportSpec& s) { s.inner_ihl = 4; }, CHIMA_REPORT_INNER_IPV4},
        {"inner IHL 0", [](ReportSpec& s) { s.inner_ihl = 0; }, CHIMA_REPORT_INNER_IPV4},
        {"inner ICMP", [](ReportSpec& s) { s.inner_protocol = 1; }, CHIMA_REPORT_INNER_PROTOCOL},
        {"TCP offset 4",
         [](ReportSpec& s) {
             s.inner_protocol = CHIMA_IPPROTO_TCP;
             s.tcp_data_offset = 4;
         },
         CHIMA_REPORT_INNER_TCP},
        {"shim type 2", [](ReportSpec& s) { s.shim_type = 2; }, CHIMA_REPORT_INT_TYPE},
        {"shim type 0", [](ReportSpec& s) { s.shim_type = 0; }, CHIMA_REPORT_INT_TYPE},
        {"INT version 0", [](ReportSpec& s) { s.int_version = 0; }, CHIMA_REPORT_INT_VERSION},
        {"INT version 2", [](ReportSpec& s) { s.int_version = 2; }, CHIMA_REPORT_INT_VERSION},
        {"hop ML 4", [](ReportSpec& s) { s.hop_ml = 4; }, CHIMA_REPORT_INT_HOP_ML},
        {"hop ML 0", [](ReportSpec& s) { s.hop_ml = 0; }, CHIMA_REPORT_INT_HOP_ML},
        {"instructions 0x8000", [](ReportSpec& s) { s.instructions = 0x8000; },
         CHIMA_REPORT_INT_INSTRUCTIONS},
        {"instructions 0xCC00", [](ReportSpec& s) { s.instructions = 0xCC00; },
         CHIMA_REPORT_INT_INSTRUCTIONS},
        {"shim length 2", [](ReportSpec& s) { s.shim_length = 2; }, CHIMA_REPORT_INT_LENGTH},
        {"shim length 0", [](ReportSpec& s) { s.shim_length = 0; }, CHIMA_REPORT_INT_LENGTH},
        {"shim length not whole hops", [](ReportSpec& s) { s.shim_length = 3 + 3 * 2 + 1; },
         CHIMA_REPORT_INT_LENGTH},
        {"9 hops announced", [](ReportSpec& s) { s.shim_length = 3 + 3 * 9; },
         CHIMA_REPORT_INT_LENGTH},
        {"shim length 255", [](ReportSpec& s) { s.shim_length = 255; }, CHIMA_REPORT_INT_LENGTH},
        {"3 hops announced, 2 present", [](ReportSpec& s) { s.shim_length = 3 + 3 * 3; },
         CHIMA_REPORT_TRUNCATED},
        {"9 hops present", [](ReportSpec& s) { s.hops.resize(9, hop(9, 1, 2)); },
         CHIMA_REPORT_INT_LENGTH},
    };
    for (const auto& c : cases) {
        CAPTURE(c.name);
        ReportSpec spec;
        spec.hops = {hop(2, 5000, 6000), hop(1, 0, 1000)};
        c.mutate(spec);
        auto frame = encode_report(spec);
        CHECK(decode_report(frame).status == c.expected);
        CollectorHarness h;
        CHECK(h.run(frame) == XDP_DROP);
        auto counters = h.program.read_counters();
        CHECK(counters.reports == 0);
        for (int r = 0; r < CHIMA_REPORT_STATUS_COUNT; ++r)
            CHECK_MESSAGE(counters.malformed[r] == (r == c.expected ? 1u : 0u),
                          "reason " << status_name(static_cast<chima_report_status>(r)));
        CHECK(h.program.read_segments().empty());
        CHECK(h.program.read_sequences().empty());
    }
}

TEST_CASE("collector: every truncation of a report is dropped as truncated") {
    ReportSpec spec;
    spec.inner_protocol = CHIMA_IPPROTO_TCP;
    spec.hops = {hop(3, 9000, 9500), hop(2, 5000, 6000), hop(1, 0, 1000)};
    auto full = encode_report(spec);
    const std::size_t report_starts = 14 + 20 + 8;  // Ethernet, IPv4, UDP
    CollectorHarness h;
    std::uint64_t expected_truncated = 0;
    for (std::size_t len = CHIMA_ETH_HLEN; len < full.size(); ++len) {
        CAPTURE(len);
        std::vector<std::uint8_t> frame(full.begin(), full.begin() + static_cast<long>(len));
        auto status = decode_report(frame).status;
        if (len < report_starts) {
            CHECK(status == CHIMA_REPORT_NOT_A_REPORT);
            CHECK(h.run(frame) == XDP_PASS);
        } else {
            CHECK(status == CHIMA_REPORT_TRUNCATED);
            CHECK(h.run(frame) == XDP_DROP);
            ++expected_truncated;
        }
    }
    auto counters = h.program.read_counters();
    CHECK(counters.malformed[CHIMA_REPORT_TRUNCATED] == expected_truncated);
    CHECK(counters.reports == 0);
    CHECK(h.run(full) == XDP_DROP);
    CHECK(h.program.read_counters().reports == 1);
}

TEST_CASE("collector: traffic that is not a report passes untouched and uncounted") {
    CollectorHarness h;
    ReportSpec other_port;
    other_port.udp_port = 53;
    other_port.hops = {hop(2, 5000, 6000), hop(1, 0, 1000)};
    CHECK(h.run(encode_report(other_port)) == XDP_PASS);

    auto tcp = encode_report(ReportSpec{});
    tcp[14 + 9] = CHIMA_IPPROTO_TCP;  // outer protocol
    CHECK(h.run(tcp) == XDP_PASS);

    auto arp = encode_report(ReportSpec{});
    arp[12] = 0x08;
    arp[13] = 0x06;
    CHECK(h.run(arp) == XDP_PASS);

    ReportSpec short_ihl;
    short_ihl.outer_ihl = 4;  // where would UDP start?
    CHECK(h.run(encode_report(short_ihl)) == XDP_PASS);

    auto fragment = encode_report(ReportSpec{});
    fragment[14 + 6] = 0x00;
    fragment[14 + 7] = 0x10;  // offset 16 * 8 bytes
    CHECK(h.run(fragment) == XDP_PASS);

    auto counters = h.program.read_counters();
    CHECK(counters.reports == 0);
    for (auto m : counters.malformed)
        CHECK(m == 0);
}

TEST_CASE("collector: the report port comes from the configuration") {
    CollectorHarness h;
    h.program.configure(CHIMA_EWMA_ALPHA_ONE, 32766);
    ReportSpec spec;
    spec.hops = {hop(2, 5000, 6000), hop(1, 0, 1000)};
    CHECK(h.run(encode_report(spec)) == XDP_PASS);  // 54321 is no longer ours
    spec.udp_port = 32766;
    CHECK(h.run(encode_report(spec)) == XDP_DROP);
    CHECK(h.program.read_counters().reports == 1);
}

TEST_CASE("collector: sequence gaps are counted per reporting switch") {
    CollectorHarness h;
    auto send = [&](std::uint32_t sw, std::uint32_t seq) {
        ReportSpec spec;
        spec.switch_id = sw;
        spec.seq_no = seq;
        spec.hops = {hop(2, 5000, 6000), hop(1, 0, 1000)};
        REQUIRE(h.run(encode_report(spec)) == XDP_DROP);
    };
    // Ids below CHIMA_COLLECTOR_MAX_SWITCHES are kept in an array, the others in a hash:
    // both sides of the boundary count alike.
    const std::uint32_t in_order_ids[] = {0, 7, CHIMA_COLLECTOR_MAX_SWITCHES - 1,
                                          CHIMA_COLLECTOR_MAX_SWITCHES, 0x80000001u};
    const std::uint32_t wrapping_ids[] = {8, 70000};
    for (std::uint32_t sw : in_order_ids)
        for (std::uint32_t seq : {1u, 2u, 5u, 4u, 6u, 6u})
            send(sw, seq);  // 3 and 4 missing; 4 late
    for (std::uint32_t sw : wrapping_ids)
        for (std::uint32_t seq : {0xFFFFFFFEu, 0xFFFFFFFFu, 0u, 2u})
            send(sw, seq);  // wraps; 1 missing
    auto seqs = h.program.read_sequences();
    REQUIRE(seqs.size() == std::size(in_order_ids) + std::size(wrapping_ids));
    std::set<std::uint32_t> seen;
    for (const auto& s : seqs) {
        CAPTURE(s.switch_id);
        CHECK(seen.insert(s.switch_id).second);
        if (std::find(std::begin(wrapping_ids), std::end(wrapping_ids), s.switch_id) !=
            std::end(wrapping_ids)) {
            CHECK(s.reports == 4);
            CHECK(s.gaps == 1);
        } else {
            CHECK(std::find(std::begin(in_order_ids), std::end(in_order_ids), s.switch_id) !=
                  std::end(in_order_ids));
            CHECK(s.reports == 6);
            CHECK(s.gaps == 2);
        }
    }
}
