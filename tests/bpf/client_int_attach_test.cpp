// INT-transparent hosting on the real kernel, in the shape of a compute host: a requester
// namespace, the host (uplink eth0 and bridge br0, the client on eth0) and a function
// namespace behind the bridge, with real UDP sockets at both ends.
//
// Sockets hand their checksum to the device (CHECKSUM_PARTIAL) when it can finish it. With
// TX checksumming off on the host's bridge ports, the kernel finishes it in software right
// after the client ran, from where the skb says the L4 header is, and the receiver
// verifies it: a client that moved the L4 header or got the pseudo header wrong loses the
// packet here.
#include <doctest/doctest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "bpf_run.hpp"
#include "chima/bpf/host_client.hpp"
#include "chima/unique_fd.hpp"
#include "chima/error.hpp"
#include "chima/net/link.hpp"
#include "chima/net/names.hpp"
#include "chima/net/netns.hpp"
#include "net_support.hpp"

using namespace chima;
using namespace chima::test;

namespace {

constexpr const char* kRequesterIp = "10.0.0.1";
constexpr const char* kFunctionIp = "10.0.0.2";
constexpr uint16_t kRequesterPort = 5000;
constexpr uint16_t kFunctionPort = 12345;

void append32(Bytes& b, uint32_t v) {
    for (int i = 3; i >= 0; --i)
        b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// Shim + md header + two hops, as a switch hands them to a host.
Bytes int_bytes(uint8_t original_dscp) {
    Bytes b{1, 0, 3 + 3 * 2, static_cast<uint8_t>(original_dscp << 2)};
    append32(b, (1u << 28) | (3u << 8) | 6u);
    append32(b, 0x8C000000u);
    for (uint32_t v : {0xC002u, 0x1111u, 0x2222u, 1u, 0x0101u, 0x0202u})
        append32(b, v);
    return b;
}

struct Topology {
    std::string net = "t-cint-" + std::to_string(::getpid());
    net::NetNs requester = make("req");
    net::NetNs host = make("host");
    net::NetNs function = make("fn");

    net::NetNs make(const std::string& node) {
        net::NetNs ns = net::NetNs::create(net::node_netns(net, node));
        net::prepare_namespace(ns, false);
        return ns;
    }

    // `offload_at_senders`: the sockets' interfaces finish checksums (CHECKSUM_PARTIAL);
    // else the sockets compute them. The host's bridge ports never do: the kernel finishes
    // what is left right after the client.
    explicit Topology(bool offload_at_senders) {
        net::create_veth({requester.name(), "eth0", "02:00:00:00:01:01", host.name(), "eth0",
                          "02:00:00:00:02:01"});
        net::create_veth({host.name(), "vfn", "02:00:00:00:02:02", function.name(), "eth0",
                          "02:00:00:00:03:01"});
        must(sh("ip -n " + host.name() + " link add br0 type bridge"));
        for (const char* port : {"eth0", "vfn"}) {
            must(sh("ip -n " + host.name() + " link set " + port + " master br0"));
            must(sh("ip netns exec " + host.name() + " ethtool -K " + port + " tx off"));
        }
        if (!offload_at_senders) {
            must(sh("ip netns exec " + requester.name() + " ethtool -K eth0 tx off"));
            must(sh("ip netns exec " + function.name() + " ethtool -K eth0 tx off"));
        }
        net::add_address(requester.name(), "eth0", std::string(kRequesterIp) + "/24");
        net::add_address(function.name(), "eth0", std::string(kFunctionIp) + "/24");
        net::add_neighbour(requester.name(), "eth0", kFunctionIp, "02:00:00:00:03:01");
        net::add_neighbour(function.name(), "eth0", kRequesterIp, "02:00:00:00:01:01");
        const std::vector<std::pair<std::string, std::string>> links = {{requester.name(), "eth0"},
                                                                        {host.name(), "eth0"},
                                                                        {host.name(), "vfn"},
                                                                        {host.name(), "br0"},
                                                                        {function.name(), "eth0"}};
        for (const auto& [ns, ifname] : links)
            net::set_link_up(ns, ifname, true);
    }

    static void must(const Shell& s) {
        if (s.status != 0)
            throw RuntimeError("test set-up failed: " + s.out);
    }
};

// A UDP socket inside `ns`, bound to ip:port, reporting the TOS of what it receives.
UniqueFd udp_socket(const net::NetNs& ns, const char* ip, uint16_t port) {
    int fd = -1;
    ns.run([&] {
        fd = ::socket(AF_INET, SOCK_DGRAM, 0);
        if (fd < 0)
            throw_errno("socket");
        int on = 1;
        ::setsockopt(fd, IPPROTO_IP, IP_RECVTOS, &on, sizeof(on));
        timeval timeout{2, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        ::inet_pton(AF_INET, ip, &addr.sin_addr);
        if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
            throw_errno("bind");
    });
    return UniqueFd(fd);
}

void send_to(int fd, uint8_t tos, const Bytes& payload, const char* ip, uint16_t port) {
    int value = tos;
    REQUIRE(::setsockopt(fd, IPPROTO_IP, IP_TOS, &value, sizeof(value)) == 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    ::inet_pton(AF_INET, ip, &addr.sin_addr);
    REQUIRE(::sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&addr),
                     sizeof(addr)) == static_cast<ssize_t>(payload.size()));
}

struct Received {
    Bytes payload;
    int tos = -1;
};

// The next datagram (empty payload and tos -1 after 2 s without one).
Received receive(int fd) {
    Received r;
    Bytes buf(2048);
    char control[64];
    iovec iov{buf.data(), buf.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    ssize_t n = ::recvmsg(fd, &msg, 0);
    if (n < 0)
        return r;
    r.payload.assign(buf.begin(), buf.begin() + n);
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS)
            r.tos = *reinterpret_cast<uint8_t*>(CMSG_DATA(c));
    }
    return r;
}

void request_and_reply(bool offload_at_senders) {
    TempPinDir dir("client-int-attach");
    Topology t(offload_at_senders);
    auto client = bpf::HostClient::create(dir.path());
    int uplink = net::link_info(t.host.name(), "eth0").ifindex;
    t.host.run([&] { client.attach(uplink); });

    UniqueFd requester = udp_socket(t.requester, kRequesterIp, kRequesterPort);
    UniqueFd function = udp_socket(t.function, kFunctionIp, kFunctionPort);
    Bytes request = payload_of(300, 4);
    Bytes reply = payload_of(41, 8);

    // The request as the switch hands it over: DSCP 0x17, INT right behind the UDP header.
    send_to(requester.get(), 0x17 << 2, concat({int_bytes(0x0a), request}), kFunctionIp,
            kFunctionPort);
    Received in = receive(function.get());
    CHECK_MESSAGE(in.payload == request, hex(in.payload));
    CHECK(in.tos == (0x0a << 2));

    send_to(function.get(), 0x2e << 2, reply, kRequesterIp, kRequesterPort);
    Received out = receive(requester.get());
    CHECK_MESSAGE(out.payload == concat({int_bytes(0x2e), reply}), hex(out.payload));
    CHECK(out.tos == (0x17 << 2));

    // The stack went out once: the next reply is plain.
    send_to(function.get(), 0, reply, kRequesterIp, kRequesterPort);
    out = receive(requester.get());
    CHECK(out.payload == reply);
    CHECK(out.tos == 0);

    auto counters = client.counters();
    CHECK(counters.int_stripped == 1);
    CHECK(counters.int_restored == 1);
    CHECK(counters.int_failed == 0);

    t.host.run([&] { client.detach(uplink); });
    for (const char* hook : {"ingress", "egress"}) {
        Shell filters = sh("ip netns exec " + t.host.name() + " tc filter show dev eth0 " + hook);
        CHECK(filters.status == 0);
        CHECK_MESSAGE(filters.out.empty(), hook, ": ", filters.out);
    }
    bpf::HostClient::remove(dir.path());
    CHECK(!std::filesystem::exists(dir.path()));
}

}  // namespace

TEST_CASE(
    "client int attach: a function behind a bridge sees plain UDP, its reply carries "
    "the INT bytes, checksums finished by the kernel after the client") {
    request_and_reply(true);
}

TEST_CASE("client int attach: the same with checksums computed by the sockets") {
    request_and_reply(false);
}
