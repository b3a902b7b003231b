#include "frame_generator.hpp"

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "chima/unique_fd.hpp"
#include "chima/error.hpp"

namespace chima::bench {

namespace {
constexpr unsigned kBatch = 256;
}

GeneratorRun send_frames(int ifindex, const std::vector<uint8_t>& frame, double seconds, int cpu,
                         bool fifo, const std::atomic<bool>& stop) {
    if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        if (sched_setaffinity(0, sizeof set, &set) != 0)
            throw_errno("cannot pin the generator to CPU " + std::to_string(cpu));
    }
    if (fifo) {
        sched_param param{};
        param.sched_priority = 1;
        if (sched_setscheduler(0, SCHED_FIFO, &param) != 0)
            throw_errno("cannot make the generator SCHED_FIFO");
    }
    // Protocol 0: this socket never receives, it only sends.
    UniqueFd sock(::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0));
    if (sock.get() < 0)
        throw_errno("AF_PACKET socket");
    int one = 1;
    if (::setsockopt(sock.get(), SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one) != 0)
        throw_errno("PACKET_QDISC_BYPASS");
    sockaddr_ll addr{};
    addr.sll_family = AF_PACKET;
    addr.sll_ifindex = ifindex;
    addr.sll_protocol = 0;
    if (::bind(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        throw_errno("bind AF_PACKET to ifindex " + std::to_string(ifindex));

    iovec iov{const_cast<uint8_t*>(frame.data()), frame.size()};
    std::vector<mmsghdr> msgs(kBatch);
    for (auto& m : msgs) {
        m.msg_hdr = {};
        m.msg_hdr.msg_iov = &iov;
        m.msg_hdr.msg_iovlen = 1;
    }

    GeneratorRun run;
    using clock = std::chrono::steady_clock;
    auto start = clock::now();
    auto end =
        start + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(seconds));
    while (!stop.load(std::memory_order_relaxed)) {
        int n = ::sendmmsg(sock.get(), msgs.data(), kBatch, 0);
        if (n > 0) {
            run.sent += static_cast<uint64_t>(n);
        } else if (errno == ENOBUFS || errno == EAGAIN) {
            ++run.refused;
        } else if (errno != EINTR) {
            throw_errno("sendmmsg");
        }
        if (clock::now() >= end)
            break;
    }
    run.seconds = std::chrono::duration<double>(clock::now() - start).count();
    return run;
}

}  // namespace chima::bench
