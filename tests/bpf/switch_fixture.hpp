// A switch pipeline loaded and pinned for one test, with three ports configured:
//   port 1 = loopback (ifindex 1: where BPF_PROG_TEST_RUN packets arrive)
//   port 2 = ifindex 102, port 3 = ifindex 103 (never transmitted on: test runs do not
//            perform the redirect, they report TC_ACT_REDIRECT)
#pragma once

#include <doctest/doctest.h>
#include <linux/pkt_cls.h>

#include <cstdint>
#include <vector>

#include "bpf_run.hpp"
#include "chima/bpf/switch_pipeline.hpp"
#include "packet.hpp"

namespace chima::test {

constexpr uint64_t kHostA = 0x02000000000aull;  // the sender behind port 1
constexpr uint64_t kSwitchMac = 0x020000000100ull;
inline uint64_t own_mac(uint32_t port) {
    return kSwitchMac + port;
}
inline uint64_t peer_mac(uint32_t port) {
    return 0x020000000000ull + port;
}
inline uint32_t port_ifindex(uint32_t port) {
    return port == 1 ? 1 : 100 + port;
}

inline uint32_t fn(uint32_t slot) {
    return 0x40000u | slot;
}
inline uint32_t adj(uint32_t port) {
    return 0x80000u | port;
}
inline uint32_t int_sid(uint32_t arg) {
    return 0xC0000u | arg;
}

struct SwitchFixture {
    TempPinDir dir{"s1"};
    bpf::SwitchPipeline sw = bpf::SwitchPipeline::create(dir.path());

    SwitchFixture() {
        for (uint32_t port = 1; port <= 3; ++port) {
            sw.set_port(port, {.ifindex = port_ifindex(port),
                               .own_mac = Mac{own_mac(port)},
                               .peer_mac = Mac{peer_mac(port)}});
        }
    }

    RunResult run(const Bytes& input) { return run_program(sw.ingress_program_fd(), input); }

    uint64_t tx(uint32_t port) { return sw.port_counters(port).tx_packets; }
    uint64_t drops(unsigned reason) { return sw.drop_counters()[reason]; }
    uint64_t total_tx() { return tx(1) + tx(2) + tx(3); }

    // The frame leaves through `port` exactly as `expected`.
    void expect_forwarded(const Bytes& input, const Bytes& expected, uint32_t port) {
        uint64_t before = tx(port);
        uint64_t before_all = total_tx();
        RunResult r = run(input);
        REQUIRE(r.error == 0);
        CHECK(r.verdict == TC_ACT_REDIRECT);
        CHECK_MESSAGE(r.output == expected,
                      "got:" << hex(r.output) << "\nexpected:" << hex(expected));
        CHECK(tx(port) == before + 1);
        CHECK(total_tx() == before_all + 1);
    }

    // The frame is dropped, counted under `reason`, and leaves through no port.
    void expect_dropped(const Bytes& input, unsigned reason) {
        uint64_t before = drops(reason);
        uint64_t before_all = total_tx();
        RunResult r = run(input);
        REQUIRE(r.error == 0);
        CHECK(r.verdict == TC_ACT_SHOT);
        CHECK_MESSAGE(drops(reason) == before + 1, "reason " << bpf::drop_reason_name(reason));
        CHECK(total_tx() == before_all);
    }
};

}  // namespace chima::test
