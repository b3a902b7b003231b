// The INT sink's Telemetry Report (bpf/switch/int_report.h): a packet carrying INT leaves
// through a sink port stripped as before, and a report goes out of the collector's port. The
// collector port is a real veth in a namespace of the test's own; the report is read back
// from its peer with a packet socket and decoded by the collector's reference decoder.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

#include "chima/collector/report_decoder.hpp"
#include "chima/net/netns.hpp"
#include "net_support.hpp"
#include "int_bytes.hpp"
#include "switch_fixture.hpp"

using namespace chima;
using namespace chima::test;

namespace {

constexpr uint32_t kSinkId = 9;
constexpr uint64_t kCollectorMac = 0x0200000000c0ull;
const char* const kNetns = "chima-test-int-report";

using Hop = IntHop;

// A namespace with veth rep0 <-> rep1 and a packet socket on rep1; the test body runs inside.
struct ReportNetns {
    ReportNetns() {
        net::NetNs::remove(kNetns);
        ns.emplace(net::NetNs::create(kNetns));
        REQUIRE(sh(std::string("ip -n ") + kNetns +
                   " link add rep0 type veth peer name rep1 && ip -n " + kNetns +
                   " link set rep0 up && ip -n " + kNetns + " link set rep1 up")
                    .status == 0);
    }
    ~ReportNetns() { net::NetNs::remove(kNetns); }
    std::optional<net::NetNs> ns;
};

struct PacketSocket {
    int fd = -1;
    explicit PacketSocket(const char* ifname) {
        fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
        REQUIRE(fd >= 0);
        sockaddr_ll addr{};
        addr.sll_family = AF_PACKET;
        addr.sll_protocol = htons(ETH_P_ALL);
        addr.sll_ifindex = static_cast<int>(if_nametoindex(ifname));
        REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    }
    ~PacketSocket() { ::close(fd); }
    // The next frame to the collector's MAC within 1 s (IPv6 chatter of the new link skipped).
    std::optional<Bytes> next_report() {
        for (int i = 0; i < 50; ++i) {
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 1000) <= 0)
                return std::nullopt;
            Bytes frame(2048);
            ssize_t n = ::recv(fd, frame.data(), frame.size(), 0);
            if (n < 14)
                continue;
            frame.resize(static_cast<size_t>(n));
            uint64_t dst = 0;
            for (int b = 0; b < 6; ++b)
                dst = (dst << 8) | frame[b];
            if (dst == kCollectorMac)
                return frame;
        }
        return std::nullopt;
    }
};

// `input` leaves through port 2 as `expected`, and one report leaves through port 3.
void expect_reported(SwitchFixture& s, const Bytes& input, const Bytes& expected) {
    uint64_t to_endpoint = s.tx(2), to_collector = s.tx(3);
    RunResult r = s.run(input);
    REQUIRE(r.error == 0);
    CHECK(r.verdict == TC_ACT_REDIRECT);
    CHECK_MESSAGE(r.output == expected, "got:" << hex(r.output) << "\nexpected:" << hex(expected));
    CHECK(s.tx(2) == to_endpoint + 1);
    CHECK(s.tx(3) == to_collector + 1);
}

}  // namespace

TEST_CASE("switch int: a sink sends a Telemetry Report with its own hop and strips the packet") {
    ReportNetns netns;
    netns.ns->run([&] {
        SwitchFixture s;
        s.sw.set_int_switch_id(kSinkId);
        s.sw.set_prefix_route(*Ipv4::parse("10.0.1.0"), 24, 2);
        s.sw.set_int_sink_port(2, true);
        uint32_t rep0 = if_nametoindex("rep0");
        REQUIRE(rep0 != 0);
        s.sw.set_port(3,
                      {.ifindex = rep0, .own_mac = Mac{own_mac(3)}, .peer_mac = Mac{peer_mac(3)}});
        s.sw.set_int_report({.port = 3,
                             .collector = *Ipv4::parse("10.0.0.200"),
                             .collector_mac = Mac{kCollectorMac},
                             .collector_udp_port = 54321,
                             .source = *Ipv4::parse("169.254.0.9"),
                             .source_udp_port = 40000});
        PacketSocket collector("rep1");

        Bytes payload = payload_of(30);
        std::vector<Hop> hops{{2, 3000, 4000}, {1, 1000, 2000}};
        Ipv4Fields inner;
        inner.dscp = 0x17;
        Ipv4Fields original_ip;
        original_ip.dscp = 0x0a;
        Bytes original = udp_packet(original_ip, 5000, 6000, payload);
        Bytes carried = udp_packet(inner, 5000, 6000, concat({int_header(0x0a, 6, hops), payload}));
        Bytes input = concat({ethernet(kSwitchMac + 1, kHostA, 0x8847), mpls({adj(2)}), carried});

        uint32_t seq_before = s.sw.int_report_sequence();
        // The forwarded packet is the original one, as without a collector.
        expect_reported(s, input, concat({ethernet(peer_mac(2), own_mac(2), 0x0800), original}));
        CHECK(s.sw.int_report_sequence() == seq_before + 1);

        auto frame = collector.next_report();
        REQUIRE_MESSAGE(frame, "no report on the collector's port");
        // Outer headers: to the collector, from the port's own MAC and the switch's address.
        CHECK(read32(*frame, 0) == uint32_t(kCollectorMac >> 16));
        CHECK(ipv4_checksum_ok(*frame, 14));
        CHECK(read32(*frame, 14 + 12) == 0xa9fe0009u);
        CHECK(read32(*frame, 14 + 16) == 0x0a0000c8u);
        CHECK(((frame->at(34) << 8) | frame->at(35)) == 40000);
        // IPv4 total length and UDP length cover exactly what follows.
        CHECK(((frame->at(16) << 8) | frame->at(17)) == frame->size() - 14);
        CHECK(((frame->at(38) << 8) | frame->at(39)) == frame->size() - 34);

        collector::DecodedReport decoded = collector::decode_report(*frame);
        REQUIRE_MESSAGE(decoded.ok(), collector::status_name(decoded.status));
        const chima_report& r = decoded.report;
        CHECK(r.header.switch_id == kSinkId);
        CHECK(r.header.seq_no == seq_before);
        CHECK(r.header.tracked == 1);
        CHECK(r.shim.dscp == 0x0a);
        CHECK(r.md.remaining_hops == 5);
        REQUIRE(r.hop_count == 3);
        CHECK(r.hops[0].switch_id == kSinkId);
        CHECK(r.hops[0].egress_ts - r.hops[0].ingress_ts < 10'000'000u);
        CHECK(r.hops[0].ingress_ts == r.header.ingress_ts);
        CHECK(r.hops[1].switch_id == 2);
        CHECK(r.hops[2].egress_ts == 2000);
        // The inner frame is the packet as it left with the sink's hop: lengths and checksums
        // consistent, DSCP still 0x17, labels popped.
        Bytes inner_frame(frame->begin() + 58, frame->end());
        CHECK(((inner_frame[12] << 8) | inner_frame[13]) == 0x0800);
        CHECK((inner_frame[15] >> 2) == 0x17);
        CHECK(((inner_frame[16] << 8) | inner_frame[17]) == inner_frame.size() - 14);
        CHECK(ipv4_checksum_ok(inner_frame, 14));
        CHECK(l4_checksum_ok(inner_frame, 14));

        SUBCASE("sequence numbers count up, TCP too") {
            Ipv4Fields tcp_ip = inner;
            Bytes tcp = tcp_packet(tcp_ip, TcpFields{}, concat({int_header(0, 6, hops), payload}));
            Ipv4Fields plain;
            expect_reported(s, concat({ethernet(kSwitchMac + 1, kHostA, 0x0800), tcp}),
                            concat({ethernet(peer_mac(2), own_mac(2), 0x0800),
                                    tcp_packet(plain, TcpFields{}, payload)}));
            auto second = collector.next_report();
            REQUIRE(second);
            collector::DecodedReport d2 = collector::decode_report(*second);
            REQUIRE_MESSAGE(d2.ok(), collector::status_name(d2.status));
            CHECK(d2.report.header.seq_no == seq_before + 1);
            CHECK(d2.report.inner_protocol == CHIMA_IPPROTO_TCP);
            CHECK(d2.report.hop_count == 3);
        }
        SUBCASE("no hop count left: the report carries the stack as it came") {
            std::vector<Hop> eight(8, Hop{1, 1, 2});
            Ipv4Fields plain;
            Bytes in = udp_packet(inner, 5000, 6000, concat({int_header(0, 0, eight), payload}));
            expect_reported(s, concat({ethernet(kSwitchMac + 1, kHostA, 0x0800), in}),
                            concat({ethernet(peer_mac(2), own_mac(2), 0x0800),
                                    udp_packet(plain, 5000, 6000, payload)}));
            auto report = collector.next_report();
            REQUIRE(report);
            collector::DecodedReport d = collector::decode_report(*report);
            REQUIRE_MESSAGE(d.ok(), collector::status_name(d.status));
            CHECK(d.report.hop_count == 8);
        }
        SUBCASE("without a collector the sink only strips") {
            s.sw.clear_int_report();
            s.expect_forwarded(input, concat({ethernet(peer_mac(2), own_mac(2), 0x0800), original}),
                               2);
            CHECK(s.sw.int_report_sequence() == seq_before + 1);
            CHECK_FALSE(collector.next_report());
        }
    });
}
