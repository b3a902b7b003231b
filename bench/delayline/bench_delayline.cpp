// Accuracy of the built-in delay line under load.
//
// Two namespaces joined by one veth link; a generator in one sends minimum-size frames
// (AF_PACKET, sendmmsg, paced) carrying a sequence number and their send time, a sink in
// the other receives them (recvmmsg) with the kernel's receive timestamp. All namespaces
// share one clock, so one-way delay = receive stamp - send stamp. For each rate and delay
// the delay line is set with chima::net::perturb and the error (one-way delay - asked
// delay) is reported: median, p99, max, and loss. Needs root.
//
//   bench_delayline [--rates 20000,50000] [--delays-ms 0,1,5,20] [--seconds 3]
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "chima/net/cleanup.hpp"
#include "chima/net/names.hpp"
#include "chima/net/net_builder.hpp"
#include "chima/net/perturb.hpp"

using namespace chima::net;

namespace {

constexpr std::uint16_t kEtherType = 0x88B5;  // IEEE local experimental
constexpr std::size_t kFrame = 60;            // minimum Ethernet frame without FCS
constexpr const char* kNet = "bench-dl";

std::int64_t realtime_ns() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

int packet_socket(const char* ifname, bool timestamps) {
    int fd = socket(AF_PACKET, SOCK_RAW, 0);
    if (fd < 0)
        throw std::runtime_error("socket");
    int one = 1, buf = 16 << 20;
    setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof buf);
    if (timestamps)
        setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    sockaddr_ll addr{};
    addr.sll_family = AF_PACKET;
    addr.sll_protocol = htons(kEtherType);
    addr.sll_ifindex = int(if_nametoindex(ifname));
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        throw std::runtime_error(std::string("bind ") + ifname + ": " + strerror(errno));
    }
    return fd;
}

struct Stamp {
    std::uint64_t seq;
    std::int64_t sent_ns;
};

// Sends `rate` frames per second for `seconds`, in batches every 200 us.
void generate(int fd, int rate, double seconds, std::uint64_t& sent) {
    constexpr int kBatch = 64;
    std::vector<std::array<std::uint8_t, kFrame>> frames(kBatch);
    for (auto& f : frames) {
        f.fill(0);
        std::memset(f.data(), 0xff, 6);  // broadcast: the sink takes it without ARP
        const std::uint8_t src[6] = {0x02, 0, 0, 0, 0x0b, 1};
        std::memcpy(f.data() + 6, src, 6);
        f[12] = kEtherType >> 8;
        f[13] = kEtherType & 0xff;
    }
    std::vector<iovec> iov(kBatch);
    std::vector<mmsghdr> msgs(kBatch);
    const std::int64_t start = realtime_ns();
    const std::int64_t total = std::int64_t(rate * seconds);
    std::uint64_t seq = 0;
    while (std::int64_t(seq) < total) {
        const std::int64_t now = realtime_ns();
        std::int64_t due = std::int64_t((now - start) * 1e-9 * rate) + 1;
        due = std::min(due, total);
        int n = int(std::min<std::int64_t>(due - std::int64_t(seq), kBatch));
        if (n <= 0) {
            timespec pause{0, 100'000};
            nanosleep(&pause, nullptr);
            continue;
        }
        const std::int64_t stamp = realtime_ns();
        for (int i = 0; i < n; ++i) {
            Stamp s{seq + std::uint64_t(i), stamp};
            std::memcpy(frames[i].data() + 14, &s, sizeof s);
            iov[i] = {frames[i].data(), kFrame};
            msgs[i] = {};
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
        }
        int done = sendmmsg(fd, msgs.data(), n, 0);
        if (done > 0)
            seq += std::uint64_t(done);
    }
    sent = seq;
}

// Collects one-way delays (ns) until `stop`.
void sink(int fd, const std::atomic<bool>& stop, std::vector<std::int64_t>& delays) {
    constexpr int kBatch = 64;
    std::vector<std::array<std::uint8_t, 128>> bufs(kBatch);
    std::vector<std::array<char, 64>> ctrl(kBatch);
    std::vector<iovec> iov(kBatch);
    std::vector<mmsghdr> msgs(kBatch);
    pollfd p{fd, POLLIN, 0};
    while (!stop.load()) {
        if (poll(&p, 1, 20) <= 0)
            continue;
        for (int i = 0; i < kBatch; ++i) {
            iov[i] = {bufs[i].data(), bufs[i].size()};
            msgs[i] = {};
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
            msgs[i].msg_hdr.msg_control = ctrl[i].data();
            msgs[i].msg_hdr.msg_controllen = ctrl[i].size();
        }
        int n = recvmmsg(fd, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
        for (int i = 0; i < n; ++i) {
            if (msgs[i].msg_len < 14 + sizeof(Stamp))
                continue;
            Stamp s;
            std::memcpy(&s, bufs[i].data() + 14, sizeof s);
            std::int64_t rx = 0;
            for (cmsghdr* c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c;
                 c = CMSG_NXTHDR(&msgs[i].msg_hdr, c)) {
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
                    timespec ts;
                    std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
                    rx = std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
                }
            }
            if (rx == 0)
                rx = realtime_ns();
            delays.push_back(rx - s.sent_ns);
        }
    }
}

std::vector<long> parse_list(const std::string& text) {
    std::vector<long> out;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ','))
        out.push_back(std::stol(item));
    return out;
}

double percentile(std::vector<std::int64_t>& v, double q) {
    if (v.empty())
        return 0;
    std::size_t k = std::min(v.size() - 1, std::size_t(q * double(v.size() - 1) + 0.5));
    std::nth_element(v.begin(), v.begin() + long(k), v.end());
    return double(v[k]);
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<long> rates{20000, 50000};
    std::vector<long> delays_ms{0, 1, 5, 20};
    double seconds = 3;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i];
        if (a == "--rates")
            rates = parse_list(argv[i + 1]);
        else if (a == "--delays-ms")
            delays_ms = parse_list(argv[i + 1]);
        else if (a == "--seconds")
            seconds = std::stod(argv[i + 1]);
        else {
            std::fprintf(stderr, "usage: %s [--rates R,..] [--delays-ms D,..] [--seconds S]\n",
                         argv[0]);
            return 2;
        }
    }
    if (geteuid() != 0) {
        std::fprintf(stderr, "bench_delayline: needs root\n");
        return 1;
    }
    cleanup_network(kNet);
    {
        NetBuilder b(kNet);
        b.add_node("gen", false);
        b.add_node("sink", false);
        b.add_link({{"gen", "eth0"}, "02:00:00:00:0b:01", {"sink", "eth0"}, "02:00:00:00:0b:02"});
        b.commit();
    }
    const LinkRef link{kNet, {"gen", "eth0"}, {"sink", "eth0"}};
    const NetNs gen_ns = NetNs::open(node_netns(kNet, "gen"));
    const NetNs sink_ns = NetNs::open(node_netns(kNet, "sink"));

    std::printf("%8s %8s %9s %9s %12s %12s %12s %8s\n", "rate_pps", "delay_ms", "sent", "lost",
                "median_err", "p99_err", "max_err", "achieved");
    int status = 0;
    try {
        for (long delay : delays_ms) {
            if (delay > 0) {
                perturb(link, Perturbation::impair({.delay = std::chrono::milliseconds(delay)}));
            } else {
                perturb(link, Perturbation::clear());
            }
            for (long rate : rates) {
                int sink_fd = -1, gen_fd = -1;
                sink_ns.run([&] { sink_fd = packet_socket("eth0", true); });
                gen_ns.run([&] { gen_fd = packet_socket("eth0", false); });
                std::atomic<bool> stop{false};
                std::vector<std::int64_t> d;
                d.reserve(std::size_t(rate * seconds) + 1024);
                std::thread rx([&] { sink(sink_fd, stop, d); });
                std::uint64_t sent = 0;
                const std::int64_t t0 = realtime_ns();
                std::thread tx([&] {
                    // Like the delay line: the generator must not wait for a CPU between
                    // stamping a frame and sending it.
                    sched_param rt{};
                    rt.sched_priority = 10;
                    pthread_setschedparam(pthread_self(), SCHED_FIFO, &rt);
                    generate(gen_fd, int(rate), seconds, sent);
                });
                tx.join();
                const double took = double(realtime_ns() - t0) * 1e-9;
                std::this_thread::sleep_for(std::chrono::milliseconds(200 + delay * 2));
                stop = true;
                rx.join();
                close(sink_fd);
                close(gen_fd);
                const std::int64_t asked = delay * 1'000'000;
                for (auto& x : d)
                    x -= asked;
                const double med = percentile(d, 0.5), p99 = percentile(d, 0.99),
                             mx = d.empty() ? 0 : double(*std::max_element(d.begin(), d.end()));
                std::printf("%8ld %8ld %9llu %9lld %10.3fms %10.3fms %10.3fms %8.0f\n", rate, delay,
                            (unsigned long long)sent, (long long)sent - (long long)d.size(),
                            med / 1e6, p99 / 1e6, mx / 1e6, double(sent) / took);
                std::fflush(stdout);
            }
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_delayline: %s\n", e.what());
        status = 1;
    }
    cleanup_network(kNet);
    return status;
}
