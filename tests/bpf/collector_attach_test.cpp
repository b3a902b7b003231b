// The collector attached to a real interface: a veth pair in a throw-away network
// namespace, reports sent as real frames from the peer, measurements read back from the
// maps, a crossing event through the ring buffer, and nothing left attached afterwards.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>

#include "chima/collector/sections.hpp"
#include "chima/net/netns.hpp"
#include "collector_harness.hpp"

using namespace chima::collector;
using chima::test::hop;

namespace {

// A network namespace with a veth pair col0 <-> col1, both up; deleted on destruction.
class VethNetns {
  public:
    VethNetns() : name_("chima-coltest-" + std::to_string(::getpid())) {
        std::string ns = "ip netns add " + name_;
        std::string veth = "ip -n " + name_ + " link add col0 type veth peer name col1";
        std::string up =
            "ip -n " + name_ + " link set col0 up && ip -n " + name_ + " link set col1 up";
        ok_ = std::system(ns.c_str()) == 0 && std::system(veth.c_str()) == 0 &&
              std::system(up.c_str()) == 0;
    }
    ~VethNetns() { std::system(("ip netns del " + name_ + " 2>/dev/null").c_str()); }
    bool ok() const { return ok_; }
    const std::string& name() const { return name_; }

  private:
    std::string name_;
    bool ok_ = false;
};

// Sends raw frames out of `iface` (in the current namespace).
class RawSender {
  public:
    explicit RawSender(const char* iface) {
        fd_ = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
        addr_.sll_family = AF_PACKET;
        addr_.sll_ifindex = static_cast<int>(if_nametoindex(iface));
        addr_.sll_halen = 6;
    }
    ~RawSender() {
        if (fd_ >= 0)
            ::close(fd_);
    }
    bool send(const std::vector<std::uint8_t>& frame) {
        return ::sendto(fd_, frame.data(), frame.size(), 0,
                        reinterpret_cast<const sockaddr*>(&addr_),
                        sizeof(addr_)) == static_cast<ssize_t>(frame.size());
    }

  private:
    int fd_ = -1;
    sockaddr_ll addr_{};
};

std::string xdp_state(const std::string& netns) {
    std::string cmd = "ip -n " + netns + " link show col0";
    FILE* p = popen(cmd.c_str(), "r");
    std::string out;
    char buf[256];
    while (p && fgets(buf, sizeof(buf), p))
        out += buf;
    if (p)
        pclose(p);
    return out;
}

}  // namespace

TEST_CASE("collector: reports arriving on a veth are measured, then XDP is detached") {
    for (XdpMode mode : {XdpMode::Auto, XdpMode::Generic}) {
        CAPTURE(static_cast<int>(mode));
        VethNetns ns;
        REQUIRE(ns.ok());
        {
            CollectorProgram program;
            program.configure(CHIMA_EWMA_ALPHA_ONE);
            WatchedSection section{"c", "s1-s2", 1'000'000, 0, {{link_segment(1, 2), "s1-s2"}}};
            configure_from_sections(program, {section});
            std::vector<chima_collector_event> events;
            EventStream stream(program,
                               [&](const chima_collector_event& e) { events.push_back(e); });
            // Attached and the sender's socket opened inside the namespace; both stay there.
            std::optional<RawSender> sender_in_ns;
            chima::net::NetNs::open(ns.name()).run([&] {
                program.attach(static_cast<int>(if_nametoindex("col0")), mode);
                sender_in_ns.emplace("col1");
            });
            CHECK(xdp_state(ns.name()).find("collector_xdp") != std::string::npos);
            RawSender& sender = *sender_in_ns;
            ReportSpec spec;
            spec.hops = {hop(2, 500'000 + 3'000'000, 0), hop(1, 0, 500'000)};
            REQUIRE(sender.send(encode_report(spec)));
            ReportSpec bad = spec;
            bad.int_version = 2;
            REQUIRE(sender.send(encode_report(bad)));

            // The ring buffer wakes us as soon as the kernel has seen the report.
            auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
            while (events.empty() && std::chrono::steady_clock::now() < deadline)
                stream.poll(100);
            REQUIRE(events.size() == 1);
            CHECK(events[0].value_ns == 3'000'000);
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            auto counters = program.read_counters();
            CHECK(counters.reports == 1);
            CHECK(counters.malformed[CHIMA_REPORT_INT_VERSION] == 1);
            auto readings = program.read_segments();
            REQUIRE(readings.size() == 1);
            CHECK(readings[0].latency_ns == 3'000'000);
        }
        CHECK(xdp_state(ns.name()).find("xdp") == std::string::npos);
    }
}
