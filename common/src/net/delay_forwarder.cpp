#include "chima/net/delay_forwarder.hpp"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <deque>
#include <memory>
#include <random>
#include <vector>

#include "chima/error.hpp"

namespace chima::net {
namespace {

constexpr std::size_t kBatch = 64;
// struct virtio_net_hdr (linux/virtio_net.h, which does not compile as C++): 10 bytes.
constexpr std::size_t kVnetHdr = 10;
constexpr std::size_t kMaxFrame = kVnetHdr + 65536 + 64;  // a GSO frame may be 64 KiB
constexpr int kSocketBuffer = 16 << 20;
constexpr std::int64_t kIdleWakeNs = 50'000'000;  // re-check `stop` this often
constexpr std::int64_t kBackoffNs = 100'000;      // retry after the kernel said "full"

std::int64_t clock_ns(clockid_t clock) {
    timespec ts{};
    ::clock_gettime(clock, &ts);
    return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void set_int(int fd, int level, int opt, int value, const char* what) {
    if (::setsockopt(fd, level, opt, &value, sizeof value) != 0)
        throw_errno(what);
}

// A packet socket bound to one interface, carrying virtio-net headers.
int open_port(int ifindex) {
    int fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        throw_errno("socket(AF_PACKET)");
    try {
        set_int(fd, SOL_PACKET, PACKET_VNET_HDR, 1, "PACKET_VNET_HDR");
        set_int(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1, "PACKET_IGNORE_OUTGOING");
        set_int(fd, SOL_PACKET, PACKET_QDISC_BYPASS, 1, "PACKET_QDISC_BYPASS");
        set_int(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1, "SO_TIMESTAMPNS");
        set_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, kSocketBuffer, "SO_RCVBUFFORCE");
        set_int(fd, SOL_SOCKET, SO_SNDBUFFORCE, kSocketBuffer, "SO_SNDBUFFORCE");
        sockaddr_ll addr{};
        addr.sll_family = AF_PACKET;
        addr.sll_protocol = htons(ETH_P_ALL);
        addr.sll_ifindex = ifindex;
        if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            throw_errno("bind packet socket to ifindex " + std::to_string(ifindex));
        }
    } catch (...) {
        ::close(fd);
        throw;
    }
    return fd;
}

struct Frame {
    std::int64_t due_ns = 0;
    std::vector<std::uint8_t> bytes;  // virtio-net header, then the Ethernet frame
};

struct Direction {
    int in_fd = -1;
    int out_fd = -1;
    std::deque<Frame> queue;
    std::int64_t last_due_ns = 0;   // departures never go backwards: no reordering
    std::int64_t wire_free_ns = 0;  // when the emulated wire finishes the previous frame
    bool send_blocked = false;
};

}  // namespace

struct DelayForwarder::Impl {
    ForwarderConfig config;
    ForwarderStats& stats;
    Direction west_to_east, east_to_west;
    std::mt19937_64 random;
    std::uniform_real_distribution<double> unit{0.0, 1.0};
    std::vector<std::vector<std::uint8_t>> spare;  // recycled frame buffers
    // Receive staging: one batch of maximum-size slots with room for a timestamp each.
    std::vector<std::uint8_t> staging = std::vector<std::uint8_t>(kBatch * kMaxFrame);
    std::array<std::array<char, CMSG_SPACE(sizeof(timespec))>, kBatch> control{};
    std::array<iovec, kBatch> iov{};
    std::array<mmsghdr, kBatch> msgs{};

    Impl(const ForwarderConfig& c, ForwarderStats& s) : config(c), stats(s), random(c.seed) {}

    std::int64_t departure(Direction& d, std::int64_t arrival_ns, std::size_t frame_len) {
        const Impairment& imp = config.impairment;
        std::int64_t start = arrival_ns;
        if (imp.rate_bps > 0) {
            start = std::max(start, d.wire_free_ns);
            std::int64_t wire_ns = std::int64_t(frame_len * 8 * 1'000'000'000ULL / imp.rate_bps);
            d.wire_free_ns = start + wire_ns;
            start = d.wire_free_ns;
        }
        std::int64_t due = start + imp.delay.count();
        if (imp.jitter.count() > 0) {
            double offset = (unit(random) * 2.0 - 1.0) * double(imp.jitter.count());
            due = std::max(start, due + std::int64_t(offset));
        }
        due = std::max(due, d.last_due_ns);
        d.last_due_ns = due;
        return due;
    }

    void receive(Direction& d) {
        for (int round = 0; round < 16; ++round) {
            for (std::size_t i = 0; i < kBatch; ++i) {
                iov[i] = {staging.data() + i * kMaxFrame, kMaxFrame};
                msgs[i].msg_hdr = {};
                msgs[i].msg_hdr.msg_iov = &iov[i];
                msgs[i].msg_hdr.msg_iovlen = 1;
                msgs[i].msg_hdr.msg_control = control[i].data();
                msgs[i].msg_hdr.msg_controllen = control[i].size();
            }
            int n = ::recvmmsg(d.in_fd, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
            if (n <= 0)
                return;
            const std::int64_t now_mono = clock_ns(CLOCK_MONOTONIC);
            const std::int64_t now_real = clock_ns(CLOCK_REALTIME);
            for (int i = 0; i < n; ++i) {
                const std::size_t len = msgs[i].msg_len;
                if (len <= kVnetHdr || (msgs[i].msg_hdr.msg_flags & MSG_TRUNC))
                    continue;
                // The kernel stamped the frame on arrival (wall clock); carry that age over to
                // the monotonic clock so our own wake-up latency does not add to the delay.
                std::int64_t age = 0;
                for (cmsghdr* c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c;
                     c = CMSG_NXTHDR(&msgs[i].msg_hdr, c)) {
                    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
                        timespec ts;
                        std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
                        age = now_real - (std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec);
                    }
                }
                age = std::clamp<std::int64_t>(age, 0, 1'000'000'000);
                if (config.impairment.loss > 0 && unit(random) < config.impairment.loss) {
                    stats.lost.fetch_add(1, std::memory_order_relaxed);
                    continue;
                }
                if (d.queue.size() >= kMaxQueued) {
                    stats.overflowed.fetch_add(1, std::memory_order_relaxed);
                    continue;
                }
                Frame f;
                if (!spare.empty()) {
                    f.bytes = std::move(spare.back());
                    spare.pop_back();
                }
                const std::uint8_t* src = staging.data() + std::size_t(i) * kMaxFrame;
                f.bytes.assign(src, src + len);
                f.due_ns = departure(d, now_mono - age, len - kVnetHdr);
                d.queue.push_back(std::move(f));
            }
            if (std::size_t(n) < kBatch)
                return;
        }
    }

    void flush(Direction& d, std::int64_t now) {
        d.send_blocked = false;
        while (!d.queue.empty() && d.queue.front().due_ns <= now) {
            std::size_t k = 0;
            while (k < kBatch && k < d.queue.size() && d.queue[k].due_ns <= now) {
                iov[k] = {d.queue[k].bytes.data(), d.queue[k].bytes.size()};
                msgs[k].msg_hdr = {};
                msgs[k].msg_hdr.msg_iov = &iov[k];
                msgs[k].msg_hdr.msg_iovlen = 1;
                ++k;
            }
            int sent = ::sendmmsg(d.out_fd, msgs.data(), k, MSG_DONTWAIT);
            if (sent < 0) {
                if (errno == EINTR)
                    continue;
                if (errno == EAGAIN || errno == ENOBUFS) {
                    d.send_blocked = true;  // socket buffer full: try again shortly
                    return;
                }
                sent = 1;  // the interface refused the first frame (e.g. down): drop it
                stats.send_failed.fetch_add(1, std::memory_order_relaxed);
            } else {
                stats.forwarded.fetch_add(std::uint64_t(sent), std::memory_order_relaxed);
            }
            for (int i = 0; i < sent; ++i) {
                spare.push_back(std::move(d.queue.front().bytes));
                d.queue.pop_front();
            }
        }
    }
};

DelayForwarder::DelayForwarder(const ForwarderConfig& config) : impl_(nullptr) {
    check_impairment(config.impairment);
    auto impl = std::make_unique<Impl>(config, stats_);
    impl->west_to_east.in_fd = open_port(config.west_ifindex);
    try {
        impl->east_to_west.in_fd = open_port(config.east_ifindex);
    } catch (...) {
        ::close(impl->west_to_east.in_fd);
        throw;
    }
    // One socket per interface both receives and sends.
    impl->west_to_east.out_fd = impl->east_to_west.in_fd;
    impl->east_to_west.out_fd = impl->west_to_east.in_fd;
    impl_ = impl.release();
}

DelayForwarder::~DelayForwarder() {
    ::close(impl_->west_to_east.in_fd);
    ::close(impl_->east_to_west.in_fd);
    delete impl_;
}

void DelayForwarder::run(const std::atomic<bool>& stop) {
    // Wake up when asked, not up to 50 us later (the default slack).
    ::prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    Impl& m = *impl_;
    std::array<pollfd, 2> fds{pollfd{m.west_to_east.in_fd, POLLIN, 0},
                              pollfd{m.east_to_west.in_fd, POLLIN, 0}};
    while (!stop.load(std::memory_order_relaxed)) {
        std::int64_t now = clock_ns(CLOCK_MONOTONIC);
        m.flush(m.west_to_east, now);
        m.flush(m.east_to_west, now);

        std::int64_t wait = kIdleWakeNs;
        for (Direction* d : {&m.west_to_east, &m.east_to_west}) {
            if (d->send_blocked)
                wait = std::min(wait, kBackoffNs);
            if (!d->queue.empty())
                wait = std::min(wait, d->queue.front().due_ns - now);
        }
        wait = std::max<std::int64_t>(wait, 0);
        timespec timeout{time_t(wait / 1'000'000'000), long(wait % 1'000'000'000)};
        int ready = ::ppoll(fds.data(), fds.size(), &timeout, nullptr);
        if (ready < 0 && errno != EINTR)
            throw_errno("ppoll");
        if (ready <= 0)
            continue;
        for (pollfd& p : fds) {
            // A link going down leaves ENETDOWN on the socket: clear it or poll spins.
            if (p.revents & POLLERR) {
                int err = 0;
                socklen_t len = sizeof err;
                ::getsockopt(p.fd, SOL_SOCKET, SO_ERROR, &err, &len);
            }
        }
        if (fds[0].revents & POLLIN)
            m.receive(m.west_to_east);
        if (fds[1].revents & POLLIN)
            m.receive(m.east_to_west);
    }
}

}  // namespace chima::net
