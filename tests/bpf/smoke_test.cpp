// Proves the BPF build recipe end to end: the object built by CMake is loaded through its
// skeleton, verified by the kernel, and run on a packet with BPF_PROG_TEST_RUN.
#include <doctest/doctest.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include <array>

#include "chima/smoke.h"
#include "smoke.skel.h"

TEST_CASE("smoke: skeleton loads, kernel verifies, test run counts the packet") {
    smoke* skel = smoke__open_and_load();
    REQUIRE_MESSAGE(skel != nullptr, "kernel refused the smoke program");

    std::array<unsigned char, 64> packet{};
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = packet.data(), .data_size_in = packet.size(),
                .repeat = 3);
    int fd = bpf_program__fd(skel->progs.smoke_count);
    REQUIRE(bpf_prog_test_run_opts(fd, &opts) == 0);
    CHECK(opts.retval == XDP_PASS);

    __u32 key = 0;
    chima_smoke_counter value{};
    REQUIRE(bpf_map_lookup_elem(bpf_map__fd(skel->maps.counters), &key, &value) == 0);
    CHECK(value.packets == 3);
    CHECK(value.bytes == 3 * packet.size());
    smoke__destroy(skel);
}
