// The switch pipeline and the host client attached to a real interface (loopback of a
// throw-away network namespace) with real packets from a socket.
#include <doctest/doctest.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <exception>
#include <functional>
#include <thread>

#include "bpf_run.hpp"
#include "chima/bpf/host_client.hpp"
#include "chima/bpf/switch_pipeline.hpp"
#include "chima/unique_fd.hpp"
#include "chima/error.hpp"

using namespace chima;
using namespace chima::test;

namespace {

// Runs `body` on a thread of its own inside a fresh network namespace (the namespace is a
// per-thread property, so the test process stays where it was; the namespace disappears with
// the thread).
void in_fresh_netns(const std::function<void()>& body) {
    std::exception_ptr error;
    std::thread worker([&] {
        try {
            if (::unshare(CLONE_NEWNET) != 0)
                throw_errno("unshare(CLONE_NEWNET)");
            body();
        } catch (...) {
            error = std::current_exception();
        }
    });
    worker.join();
    if (error)
        std::rethrow_exception(error);
}

void bring_up_loopback() {
    UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    ifreq req{};
    std::strncpy(req.ifr_name, "lo", IFNAMSIZ - 1);
    if (::ioctl(sock.get(), SIOCGIFFLAGS, &req) != 0)
        throw_errno("SIOCGIFFLAGS lo");
    req.ifr_flags |= IFF_UP;
    if (::ioctl(sock.get(), SIOCSIFFLAGS, &req) != 0)
        throw_errno("SIOCSIFFLAGS lo");
}

// Sends one UDP datagram to 127.0.0.1:port and reports whether it arrived.
bool udp_loopback_delivers(uint16_t port) {
    UniqueFd rx(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    UniqueFd tx(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(rx.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        throw_errno("bind");
    }
    timeval timeout{0, 200000};
    ::setsockopt(rx.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    const char msg[] = "chima";
    if (::sendto(tx.get(), msg, sizeof(msg), 0, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) <
        0) {
        throw_errno("sendto");
    }
    char buf[16];
    return ::recv(rx.get(), buf, sizeof(buf), 0) == static_cast<ssize_t>(sizeof(msg));
}

}  // namespace

TEST_CASE("attach: the switch pipeline on TC ingress sees real packets, detach restores") {
    TempPinDir dir("attach");
    in_fresh_netns([&] {
        bring_up_loopback();
        int lo = static_cast<int>(::if_nametoindex("lo"));
        REQUIRE(lo > 0);
        auto sw = bpf::SwitchPipeline::create(dir.path());
        sw.set_port(1, {.ifindex = static_cast<uint32_t>(lo), .own_mac = {}, .peer_mac = {}});
        REQUIRE(udp_loopback_delivers(9100));

        sw.attach(lo);
        sw.attach(lo);  // replacing our own filter is fine
        // Loopback frames carry all-zero MACs and no forwarding entry matches: dropped.
        CHECK(!udp_loopback_delivers(9101));
        CHECK(sw.port_counters(1).rx_packets >= 1);
        CHECK(sw.drop_counters()[CHIMA_DROP_NO_ROUTE] >= 1);

        sw.detach(lo);
        sw.detach(lo);  // idempotent
        CHECK(udp_loopback_delivers(9102));
    });
}

TEST_CASE("attach: the host client on TC egress pushes labels on real packets") {
    TempPinDir dir("client-attach");
    in_fresh_netns([&] {
        bring_up_loopback();
        int lo = static_cast<int>(::if_nametoindex("lo"));
        auto client = bpf::HostClient::create(dir.path());
        client.attach(lo);
        CHECK(udp_loopback_delivers(9200));  // unmanaged flow: untouched
        LabelStack stack;
        stack.push_back(SegmentId::adjacency(2));
        client.set_flow(Ipv4{0x7f000001}, Ipv4{0x7f000001}, stack);
        // Now the frame is MPLS: the local IPv4 stack no longer takes it.
        CHECK(!udp_loopback_delivers(9201));
        CHECK(client.counters().pushed >= 1);
        client.detach(lo);
    });
}
