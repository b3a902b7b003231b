// Every example function (p4/functions/) compiled by libchima's P4 compiler, loaded by the
// kernel and run on prepared packet structs, with table entries installed from P4Info.
#include <doctest/doctest.h>

#include "p4fn_support.hpp"

using chima::p4::EntrySpec;
using chima::p4::KeyMatch;
using chima::test::ipv4_packet;
using chima::test::LoadedFunction;

namespace {
std::filesystem::path fn(const std::string& name) {
    return chima::test::repo_root() / "p4" / "functions" / (name + ".p4");
}
constexpr __u32 ip(int a, int b, int c, int d) {
    return (__u32(a) << 24) | (__u32(b) << 16) | (__u32(c) << 8) | __u32(d);
}
KeyMatch exact(uint64_t v) {
    return KeyMatch{v, ~0ULL, -1, false};
}
KeyMatch ternary(uint64_t v, uint64_t m) {
    return KeyMatch{v, m, -1, false};
}
KeyMatch any() {
    return KeyMatch{0, 0, -1, true};
}
KeyMatch prefix(uint64_t v, int len) {
    return KeyMatch{v, ~0ULL, len, false};
}
}  // namespace

TEST_CASE("p4fn changettl: TTL := 42 on IPv4, untouched without IPv4, tail call to resume") {
    LoadedFunction f(fn("changettl"));
    int verdict = -1;
    auto out = f.run(ipv4_packet(ip(10, 0, 0, 1), ip(10, 0, 0, 2), 6, 1000, 80), &verdict);
    CHECK(out.hdr.ipv4.ttl == 42);
    CHECK(verdict == TC_ACT_SHOT);  // chima_resume is empty here: the tail call fell through
    auto in = ipv4_packet(1, 2, 6, 1, 2);
    in.hdr.ipv4_valid = 0;
    CHECK(f.run(in).hdr.ipv4.ttl == 64);
}

TEST_CASE("p4fn decrement_ttl: 64 -> 63, and 0 wraps to 255 at bit<8>") {
    LoadedFunction f(fn("decrement_ttl"));
    auto in = ipv4_packet(1, 2, 17, 5, 6);
    CHECK(f.run(in).hdr.ipv4.ttl == 63);
    in.hdr.ipv4.ttl = 0;
    auto out = f.run(in);
    CHECK(out.hdr.ipv4.ttl == 255);
    CHECK(out.hdr.ipv4.protocol == 17);  // nothing else changed
    CHECK(out.hdr.ipv4.dst_addr == 2);
}

TEST_CASE("p4fn dscp_marker: exact table sets DSCP only for the matching (dst, proto)") {
    LoadedFunction f(fn("dscp_marker"));
    f.add(EntrySpec{"marks", {exact(ip(10, 0, 0, 2)), exact(6)}, "set_dscp", {46}, 0});
    auto hit = f.run(ipv4_packet(ip(10, 0, 0, 1), ip(10, 0, 0, 2), 6, 1000, 80));
    CHECK(hit.hdr.ipv4.dscp == 46);
    CHECK(hit.hdr.ipv4.ecn == 0);
    auto miss = f.run(ipv4_packet(ip(10, 0, 0, 1), ip(10, 0, 0, 2), 17, 1000, 80));
    CHECK(miss.hdr.ipv4.dscp == 0);
    CHECK_THROWS(f.add(EntrySpec{"marks", {exact(1), exact(6)}, "set_dscp", {64}, 0}));  // > bit<6>
}

TEST_CASE("p4fn firewall: ternary 5-tuple ACL, highest priority wins across masks") {
    LoadedFunction f(fn("firewall"));
    // deny all UDP (priority 10); allow UDP from 10.1.0.0/16 (priority 20); deny TCP port 22.
    f.add(EntrySpec{"acl", {any(), any(), ternary(17, 0xff), any(), any()}, "deny", {}, 10});
    f.add(EntrySpec{"acl",
                    {ternary(ip(10, 1, 0, 0), 0xffff0000), any(), ternary(17, 0xff), any(), any()},
                    "allow",
                    {},
                    20});
    f.add(EntrySpec{
        "acl", {any(), any(), ternary(6, 0xff), any(), ternary(22, 0xffff)}, "deny", {}, 5});
    CHECK(f.run(ipv4_packet(ip(10, 2, 0, 1), ip(10, 0, 0, 2), 17, 5, 53)).std.drop == 1);
    CHECK(f.run(ipv4_packet(ip(10, 1, 7, 1), ip(10, 0, 0, 2), 17, 5, 53)).std.drop == 0);
    CHECK(f.run(ipv4_packet(ip(10, 1, 7, 1), ip(10, 0, 0, 2), 6, 5, 22)).std.drop == 1);
    CHECK(f.run(ipv4_packet(ip(10, 1, 7, 1), ip(10, 0, 0, 2), 6, 5, 80)).std.drop == 0);
}

TEST_CASE("p4fn flow_counter: a register counts packets per flow, visible in user0") {
    LoadedFunction f(fn("flow_counter"));
    auto a = ipv4_packet(ip(10, 0, 0, 1), ip(10, 0, 0, 2), 6, 1000, 80);
    auto b = ipv4_packet(ip(10, 0, 0, 9), ip(10, 0, 0, 2), 6, 1000, 80);
    CHECK(f.run(a).meta.user0 == 1);
    CHECK(f.run(a).meta.user0 == 2);
    CHECK(f.run(b).meta.user0 == 1);
    CHECK(f.run(a).meta.user0 == 3);
}

TEST_CASE("p4fn rate_limiter: token bucket passes the burst, drops beyond it, refills") {
    LoadedFunction f(fn("rate_limiter"));
    auto p = ipv4_packet(ip(10, 0, 0, 1), ip(10, 0, 0, 2), 17, 1, 2);
    p.std.packet_length = 10000;
    p.std.ingress_global_timestamp = 5'000'000'000ULL;  // 5000 ms
    CHECK(f.run(p).std.drop == 0);                      // 15000 -> 5000 tokens
    p.std.ingress_global_timestamp += 1'000'000;        // +1 ms: 5125 tokens
    CHECK(f.run(p).std.drop == 1);
    p.std.ingress_global_timestamp += 100'000'000;  // +100 ms: refilled to the burst
    CHECK(f.run(p).std.drop == 0);
}

TEST_CASE("p4fn port_rewriter: exact (proto, dport) rewrites the TCP/UDP destination port") {
    LoadedFunction f(fn("port_rewriter"));
    f.add(EntrySpec{"ports", {exact(6), exact(80)}, "rewrite", {8080}, 0});
    auto out = f.run(ipv4_packet(ip(10, 0, 0, 1), ip(10, 0, 0, 2), 6, 1000, 80));
    CHECK(out.hdr.tcp.dst_port == 8080);
    CHECK(out.meta.l4_dst_port == 8080);
    CHECK(out.hdr.udp.dst_port == 0);
    auto udp = f.run(ipv4_packet(ip(10, 0, 0, 1), ip(10, 0, 0, 2), 17, 1000, 80));
    CHECK(udp.hdr.udp.dst_port == 80);  // the entry is for TCP only
}

TEST_CASE("p4fn lpm_router: longest prefix wins, a miss runs the default action with its args") {
    LoadedFunction f(chima::test::repo_root() / "tests" / "data" / "p4" / "fn" / "lpm_router.p4");
    f.add(EntrySpec{"routes", {prefix(ip(10, 0, 0, 0), 8), exact(6)}, "to_port", {1}, 0});
    f.add(EntrySpec{"routes", {prefix(ip(10, 1, 0, 0), 16), exact(6)}, "to_port", {2}, 0});
    f.add(EntrySpec{"routes", {prefix(ip(10, 1, 2, 0), 24), exact(17)}, "NoAction", {}, 0});
    auto r = f.run(ipv4_packet(1, ip(10, 1, 3, 4), 6, 1, 2));
    CHECK(r.std.egress_spec == 2);
    CHECK(r.meta.user1 == 1);
    CHECK(f.run(ipv4_packet(1, ip(10, 9, 3, 4), 6, 1, 2)).std.egress_spec == 1);
    auto miss = f.run(ipv4_packet(1, ip(11, 0, 0, 1), 6, 1, 2));
    CHECK(miss.std.egress_spec == 99);
    CHECK(miss.meta.user1 == 1);  // the default action is to_port: action_run says so
    auto noact = f.run(ipv4_packet(1, ip(10, 1, 2, 3), 17, 1, 2));
    CHECK(noact.std.egress_spec == 0);
    CHECK(noact.meta.user1 == 2);
}

TEST_CASE("p4fn const entries: installed from P4Info, earlier entries win") {
    LoadedFunction f(chima::test::repo_root() / "tests" / "data" / "p4" / "fn" /
                     "const_entries.p4");
    chima::bpf::install_const_entries(f.object(), f.p4info());
    CHECK(f.run(ipv4_packet(1, 2, 6, 5, 80)).meta.user0 == 1);
    CHECK(f.run(ipv4_packet(1, 2, 6, 5, 443)).meta.user0 == 2);
    CHECK(f.run(ipv4_packet(1, 2, 17, 5, 53)).meta.user0 == 3);
    CHECK(f.run(ipv4_packet(1, 2, 1, 0, 0)).meta.user0 == 4);
}
