// INT-transparent hosting (bpf/client/int_transparent.h) on crafted frames through
// BPF_PROG_TEST_RUN: TC ingress strips the INT bytes a switch hands to a host and saves them
// under the function's address; TC egress puts them back on that address's next output.
// Expected packets are built independently (tests/support/packet.hpp computes every
// checksum), so a byte-exact match also proves the checksums.
#include <doctest/doctest.h>
#include <bpf/bpf.h>
#include <linux/pkt_cls.h>
#include <time.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "bpf_run.hpp"
#include "int_bytes.hpp"
#include "chima/bpf/host_client.hpp"
#include "chima/unique_fd.hpp"

using namespace chima;
using namespace chima::test;

namespace {

constexpr uint64_t kHostMac = 0x02000000000bull;
constexpr uint64_t kSwitchMac = 0x020000000101ull;
constexpr uint32_t kRequester = 0x0a000001;  // 10.0.0.1
constexpr uint32_t kFunction = 0x0a000002;   // 10.0.0.2, the function's own address
constexpr uint8_t kIntDscp = 0x17;

using Hop = IntHop;

Bytes int_bytes(uint8_t original_dscp, const std::vector<Hop>& hops, uint8_t remaining = 6) {
    return int_header(original_dscp, remaining, hops);
}

const std::vector<Hop> kTwoHops = {{(3u << 14) | 2u, 0x11111111, 0x22222222},
                                   {1u, 0x01010101, 0x02020202}};

Ipv4Fields ipv4(uint32_t src, uint32_t dst, uint8_t dscp, uint8_t ecn = 0) {
    Ipv4Fields f;
    f.src = src;
    f.dst = dst;
    f.dscp = dscp;
    f.ecn = ecn;
    return f;
}

// A frame arriving at the host's uplink from the switch, and one the host sends.
Bytes to_host(const Bytes& ip) {
    return concat({ethernet(kHostMac, kSwitchMac, 0x0800), ip});
}
Bytes from_host(const Bytes& ip) {
    return concat({ethernet(kSwitchMac, kHostMac, 0x0800), ip});
}
Bytes from_host_mpls(const std::vector<uint32_t>& labels, const Bytes& ip) {
    return concat({ethernet(kSwitchMac, kHostMac, 0x8847), mpls(labels), ip});
}

uint64_t monotonic_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

struct IntClient {
    TempPinDir dir{"client-int"};
    bpf::HostClient client = bpf::HostClient::create(dir.path());
    UniqueFd saved{::bpf_obj_get((dir.path() / "chima_client_int_saved").c_str())};

    IntClient() { REQUIRE(saved.get() >= 0); }

    RunResult ingress(const Bytes& frame) {
        RunResult r = run_program(client.ingress_program_fd(), frame);
        REQUIRE(r.error == 0);
        return r;
    }
    RunResult egress(const Bytes& frame) {
        RunResult r = run_program(client.egress_program_fd(), frame);
        REQUIRE(r.error == 0);
        return r;
    }
    std::optional<chima_client_saved_int> saved_for(uint32_t addr) const {
        chima_client_saved_int value{};
        if (::bpf_map_lookup_elem(saved.get(), &addr, &value) != 0)
            return std::nullopt;
        return value;
    }
    void save(uint32_t addr, const Bytes& bytes, uint64_t saved_at_ns) {
        chima_client_saved_int value{};
        value.length = static_cast<uint32_t>(bytes.size());
        std::copy(bytes.begin(), bytes.end(), value.bytes);
        value.saved_at_ns = saved_at_ns;
        REQUIRE(::bpf_map_update_elem(saved.get(), &addr, &value, BPF_ANY) == 0);
    }
    void manage(uint32_t src, uint32_t dst) {
        LabelStack stack;
        stack.push_back(SegmentId::function_end(5));
        stack.push_back(SegmentId::adjacency(1));
        client.set_flow(Ipv4{src}, Ipv4{dst}, stack);
    }
};

const std::vector<uint32_t> kLabels = {0xC0005, 0x80001};

Bytes as_bytes(const chima_client_saved_int& s) {
    return Bytes(s.bytes, s.bytes + s.length);
}

}  // namespace

TEST_CASE(
    "client int: a UDP request loses its INT bytes on ingress, the function's reply "
    "gets them back on egress, once") {
    IntClient c;
    Bytes request = payload_of(37, 3);
    Bytes stack = int_bytes(0x0a, kTwoHops);
    Ipv4Fields in = ipv4(kRequester, kFunction, kIntDscp, 1);
    RunResult r = c.ingress(to_host(udp_packet(in, 5000, 12345, concat({stack, request}))));
    CHECK(r.verdict == TC_ACT_OK);
    Bytes plain = to_host(udp_packet(ipv4(kRequester, kFunction, 0x0a, 1), 5000, 12345, request));
    CHECK_MESSAGE(r.output == plain, hex(r.output));
    CHECK(ipv4_checksum_ok(r.output, 14));
    CHECK(l4_checksum_ok(r.output, 14));
    auto saved = c.saved_for(kFunction);
    REQUIRE(saved.has_value());
    CHECK(as_bytes(*saved) == stack);
    uint64_t now = monotonic_ns();
    CHECK(saved->saved_at_ns <= now);
    CHECK(saved->saved_at_ns + 1000000000ull > now);
    CHECK(c.client.counters().int_stripped == 1);

    // The function answers (its own DSCP 0x2e): the stack rides on the reply, labels in front.
    c.manage(kFunction, kRequester);
    Bytes reply = payload_of(23, 9);
    Ipv4Fields out = ipv4(kFunction, kRequester, 0x2e, 2);
    r = c.egress(from_host(udp_packet(out, 12345, 5000, reply)));
    CHECK(r.verdict == TC_ACT_OK);
    Bytes carried = int_bytes(0x2e, kTwoHops);
    Bytes want_ip =
        udp_packet(ipv4(kFunction, kRequester, kIntDscp, 2), 12345, 5000, concat({carried, reply}));
    CHECK_MESSAGE(r.output == from_host_mpls(kLabels, want_ip), hex(r.output));
    size_t ip_at = 14 + 4 * kLabels.size();
    CHECK(ipv4_checksum_ok(r.output, ip_at));
    CHECK(l4_checksum_ok(r.output, ip_at));
    CHECK(!c.saved_for(kFunction).has_value());

    // One restore per saved stack: the next reply goes out plain.
    r = c.egress(from_host(udp_packet(out, 12345, 5000, reply)));
    CHECK(r.output == from_host_mpls(kLabels, udp_packet(out, 12345, 5000, reply)));
    auto counters = c.client.counters();
    CHECK(counters.int_restored == 1);
    CHECK(counters.pushed == 2);
    CHECK(counters.int_malformed == 0);
    CHECK(counters.int_failed == 0);
}

TEST_CASE("client int: TCP segments, IPv4 options and long payloads keep their checksums") {
    IntClient c;
    Bytes stack = int_bytes(0x12, kTwoHops);
    Ipv4Fields in = ipv4(kRequester, kFunction, kIntDscp);
    in.options = {0x94, 0x04, 0x00, 0x00};  // router alert: IHL 6
    TcpFields tcp;
    tcp.dst_port = 12345;
    // 1000 bytes: several move chunks, the last one short.
    Bytes data = payload_of(1000, 1);
    RunResult r = c.ingress(to_host(tcp_packet(in, tcp, concat({stack, data}))));
    Ipv4Fields plain_fields = in;
    plain_fields.dscp = 0x12;
    CHECK_MESSAGE(r.output == to_host(tcp_packet(plain_fields, tcp, data)), hex(r.output));
    CHECK(l4_checksum_ok(r.output, 14));

    // Unmanaged reply (no label stack): restoring does not depend on one.
    Ipv4Fields out = ipv4(kFunction, kRequester, 0);
    TcpFields back;
    back.src_port = 12345;
    back.dst_port = 40000;
    Bytes answer = payload_of(777, 5);
    r = c.egress(from_host(tcp_packet(out, back, answer)));
    Ipv4Fields marked = out;
    marked.dscp = kIntDscp;
    Bytes want = from_host(tcp_packet(marked, back, concat({int_bytes(0, kTwoHops), answer})));
    CHECK_MESSAGE(r.output == want, hex(r.output));
    CHECK(ipv4_checksum_ok(r.output, 14));
    CHECK(l4_checksum_ok(r.output, 14));
    auto counters = c.client.counters();
    CHECK(counters.int_stripped == 1);
    CHECK(counters.int_restored == 1);
    CHECK(counters.unmanaged == 1);
    CHECK(counters.pushed == 0);
}

TEST_CASE("client int: a UDP datagram without checksum keeps checksum 0 both ways") {
    IntClient c;
    Bytes stack = int_bytes(0, {{7, 8, 9}});
    Bytes body = payload_of(5);
    RunResult r = c.ingress(to_host(
        udp_packet(ipv4(kRequester, kFunction, kIntDscp), 1, 2, concat({stack, body}), false)));
    CHECK_MESSAGE(
        r.output == to_host(udp_packet(ipv4(kRequester, kFunction, 0), 1, 2, body, false)),
        hex(r.output));
    r = c.egress(from_host(udp_packet(ipv4(kFunction, kRequester, 0), 2, 1, body, false)));
    CHECK_MESSAGE(r.output == from_host(udp_packet(ipv4(kFunction, kRequester, kIntDscp), 2, 1,
                                                   concat({stack, body}), false)),
                  hex(r.output));
}

TEST_CASE("client int: the newest stack for an address wins, no payload is fine") {
    IntClient c;
    Bytes first = int_bytes(0, {{1, 1, 1}});
    Bytes second = int_bytes(0, kTwoHops);
    c.ingress(to_host(udp_packet(ipv4(kRequester, kFunction, kIntDscp), 1, 2, first)));
    RunResult r =
        c.ingress(to_host(udp_packet(ipv4(kRequester, kFunction, kIntDscp), 1, 2, second)));
    CHECK(r.output == to_host(udp_packet(ipv4(kRequester, kFunction, 0), 1, 2, {})));
    r = c.egress(from_host(udp_packet(ipv4(kFunction, kRequester, 0), 2, 1, {})));
    CHECK_MESSAGE(
        r.output == from_host(udp_packet(ipv4(kFunction, kRequester, kIntDscp), 2, 1, second)),
        hex(r.output));
}

TEST_CASE("client int: DSCP 0x17 without a usable INT header passes unchanged, counted") {
    IntClient c;
    Bytes body = payload_of(40);
    Bytes good = int_bytes(0, kTwoHops);
    auto with_byte = [&](size_t at, uint8_t value) {
        Bytes b = good;
        b[at] = value;
        return b;
    };
    std::vector<Bytes> frames = {
        // shim type 2 (destination), version 2, hop ML 4, other instructions, length 2
        to_host(udp_packet(ipv4(kRequester, kFunction, kIntDscp), 1, 2,
                           concat({with_byte(0, 2), body}))),
        to_host(udp_packet(ipv4(kRequester, kFunction, kIntDscp), 1, 2,
                           concat({with_byte(4, 0x20), body}))),
        to_host(udp_packet(ipv4(kRequester, kFunction, kIntDscp), 1, 2,
                           concat({with_byte(6, 4), body}))),
        to_host(udp_packet(ipv4(kRequester, kFunction, kIntDscp), 1, 2,
                           concat({with_byte(8, 0xFF), body}))),
        to_host(udp_packet(ipv4(kRequester, kFunction, kIntDscp), 1, 2,
                           concat({with_byte(2, 2), body}))),
        // garbage where the shim should be
        to_host(udp_packet(ipv4(kRequester, kFunction, kIntDscp), 1, 2, payload_of(64, 0x5a))),
        // truncated stack: the second hop is cut off with the packet
        to_host(udp_packet(ipv4(kRequester, kFunction, kIntDscp), 1, 2,
                           Bytes(good.begin(), good.end() - 4))),
        // shim length far beyond the packet (and beyond 8 hops)
        to_host(udp_packet(ipv4(kRequester, kFunction, kIntDscp), 1, 2,
                           concat({with_byte(2, 30), body}))),
        to_host(udp_packet(ipv4(kRequester, kFunction, kIntDscp), 1, 2,
                           concat({with_byte(2, 3 + 3 * 5), payload_of(10)}))),
        // the packet ends inside the md header
        to_host(udp_packet(ipv4(kRequester, kFunction, kIntDscp), 1, 2,
                           Bytes(good.begin(), good.begin() + 6))),
        // neither UDP nor TCP
        [] {
            Ipv4Fields f = ipv4(kRequester, kFunction, kIntDscp);
            f.protocol = 1;
            return to_host(ipv4_packet(f, int_bytes(0, kTwoHops)));
        }(),
    };
    for (size_t i = 0; i < frames.size(); ++i) {
        CAPTURE(i);
        RunResult r = c.ingress(frames[i]);
        CHECK(r.verdict == TC_ACT_OK);
        CHECK(r.output == frames[i]);
    }
    auto counters = c.client.counters();
    CHECK(counters.int_malformed == frames.size());
    CHECK(counters.int_stripped == 0);
    CHECK(!c.saved_for(kFunction).has_value());

    // Without DSCP 0x17 the same bytes are payload: not looked at, not counted.
    Bytes plain = to_host(udp_packet(ipv4(kRequester, kFunction, 0), 1, 2, concat({good, body})));
    CHECK(c.ingress(plain).output == plain);
    Bytes arp = concat({ethernet(kHostMac, kSwitchMac, 0x0806), payload_of(28)});
    CHECK(c.ingress(arp).output == arp);
    CHECK(c.client.counters().int_malformed == frames.size());
}

TEST_CASE("client int: a stack older than 1 s is dropped, not restored") {
    IntClient c;
    c.manage(kFunction, kRequester);
    Bytes stack = int_bytes(0, kTwoHops);
    Bytes reply = udp_packet(ipv4(kFunction, kRequester, 0), 12345, 5000, payload_of(12));

    c.save(kFunction, stack, monotonic_ns() - 1500000000ull);
    RunResult r = c.egress(from_host(reply));
    CHECK(r.output == from_host_mpls(kLabels, reply));
    CHECK(!c.saved_for(kFunction).has_value());
    CHECK(c.client.counters().int_expired == 1);
    CHECK(c.client.counters().int_restored == 0);

    // A fresh one (half a second old) is restored.
    c.save(kFunction, stack, monotonic_ns() - 500000000ull);
    r = c.egress(from_host(reply));
    CHECK(r.output ==
          from_host_mpls(kLabels, udp_packet(ipv4(kFunction, kRequester, kIntDscp), 12345, 5000,
                                             concat({stack, payload_of(12)}))));
    CHECK(c.client.counters().int_restored == 1);
    CHECK(c.client.counters().int_expired == 1);
}

TEST_CASE("client int: a packet that cannot carry the stack leaves it for the next one") {
    IntClient c;
    Bytes stack = int_bytes(0, kTwoHops);
    c.save(kFunction, stack, monotonic_ns());
    // ICMP, a fragment, and a packet that already carries INT of its own.
    Ipv4Fields icmp = ipv4(kFunction, kRequester, 0);
    icmp.protocol = 1;
    Ipv4Fields fragment = ipv4(kFunction, kRequester, 0);
    fragment.flags = 1;  // MF
    Bytes own = int_bytes(3, {{4, 4, 4}});
    std::vector<Bytes> frames = {
        from_host(ipv4_packet(icmp, payload_of(16))),
        from_host(udp_packet(fragment, 1, 2, payload_of(16))),
        from_host(udp_packet(ipv4(kFunction, kRequester, kIntDscp), 1, 2, concat({own}))),
    };
    for (const Bytes& f : frames)
        CHECK(c.egress(f).output == f);
    CHECK(c.saved_for(kFunction).has_value());
    RunResult r = c.egress(from_host(udp_packet(ipv4(kFunction, kRequester, 0), 1, 2, {})));
    CHECK(r.output == from_host(udp_packet(ipv4(kFunction, kRequester, kIntDscp), 1, 2, stack)));
    CHECK(c.client.counters().int_restored == 1);
}
