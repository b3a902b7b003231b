// Collector benchmarks (root):
//  1. reports per second through the XDP program on one core, BPF_PROG_TEST_RUN with
//     4-hop reports (3 link samples each) -- goal >= 10 M/s; published: INTCollector
//     1.2 Mpps, Vestin et al. (AF_XDP) ~3 Mpps per core;
//  2. user-space cost of one poll with 10,000 segments in the map: reading the map, the
//     JSON measurement lines, and a /metrics rendering.
// Usage: bench_collector [repeat]   (default 2,000,000 runs per measurement)
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <vector>

#include "chima/collector/collect_session.hpp"
#include "chima/collector/collector_program.hpp"
#include "chima/collector/ewma.hpp"
#include "chima/collector/report_encoder.hpp"
#include "chima/collector/sections.hpp"

using namespace chima::collector;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<std::uint8_t> four_hop_report(std::uint32_t base_switch, std::uint32_t seq) {
    ReportSpec spec;
    spec.switch_id = base_switch;
    spec.seq_no = seq;
    for (std::uint32_t i = 0; i < 4; ++i) {
        std::uint32_t sw = base_switch + 3 - i;
        std::uint32_t t = 0xFFFF0000u + (3 - i) * 1'000'000u;  // wraps during the path
        spec.hops.push_back({sw, t, t + 2'000});
    }
    return encode_report(spec);
}

// Average ns per program run over `repeat` runs of one frame.
double ns_per_run(int prog_fd, const std::vector<std::uint8_t>& frame, int repeat) {
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(),
                .data_size_in = static_cast<std::uint32_t>(frame.size()), .repeat = repeat);
    if (bpf_prog_test_run_opts(prog_fd, &opts) != 0) {
        std::perror("bpf_prog_test_run_opts");
        std::exit(1);
    }
    if (opts.retval != XDP_DROP) {
        std::fprintf(stderr, "unexpected verdict %u\n", opts.retval);
        std::exit(1);
    }
    return static_cast<double>(opts.duration);
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    if (geteuid() != 0) {
        std::fprintf(stderr, "bench_collector: needs root (BPF)\n");
        return 77;
    }
    int repeat = argc > 1 ? std::atoi(argv[1]) : 2'000'000;

    CollectorProgram program;
    program.configure(alpha_to_q32(0.125));
    auto frame = four_hop_report(1, 1);
    ns_per_run(program.program_fd(), frame, 1000);  // creates the 3 segments

    std::vector<double> runs;
    for (int i = 0; i < 5; ++i)
        runs.push_back(ns_per_run(program.program_fd(), frame, repeat));
    double ns = median(runs);
    std::printf(
        "xdp: 4-hop report, unwatched segments: %.1f ns/report = %.2f M reports/s (1 core)\n", ns,
        1e3 / ns);

    // The same with every segment in a watched section (sum + threshold check per sample).
    WatchedSection section{
        "bench",
        "path",
        1'000'000'000,
        1'000'000'000,
        {{link_segment(1, 2), ""}, {link_segment(2, 3), ""}, {link_segment(3, 4), ""}}};
    configure_from_sections(program, {section});
    runs.clear();
    for (int i = 0; i < 5; ++i)
        runs.push_back(ns_per_run(program.program_fd(), frame, repeat));
    ns = median(runs);
    std::printf(
        "xdp: 4-hop report, watched section of 3: %.1f ns/report = %.2f M reports/s (1 core)\n", ns,
        1e3 / ns);

    // A non-report frame (other UDP port): the cost of passing traffic through.
    ReportSpec other;
    other.udp_port = 53;
    auto pass = encode_report(other);
    LIBBPF_OPTS(bpf_test_run_opts, popts, .data_in = pass.data(),
                .data_size_in = static_cast<std::uint32_t>(pass.size()), .repeat = repeat);
    bpf_prog_test_run_opts(program.program_fd(), &popts);
    std::printf("xdp: non-report frame passed: %u ns/frame\n", popts.duration);

    // 10,000 segments: 3,334 distinct 4-hop paths.
    configure_from_sections(program, {});
    for (std::uint32_t p = 0; p < 3334; ++p)
        ns_per_run(program.program_fd(), four_hop_report(4 * p + 10, 1), 1);
    SectionTable table;
    std::size_t segments = program.read_segments().size();
    std::vector<double> read_us, json_us, metrics_us;
    for (int i = 0; i < 50; ++i) {
        auto t0 = Clock::now();
        auto readings = program.read_segments();
        auto t1 = Clock::now();
        std::string lines = measurement_lines(1.7e9, readings, table);
        auto t2 = Clock::now();
        auto body = render_prometheus(take_snapshot(program, table));
        auto t3 = Clock::now();
        read_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
        json_us.push_back(std::chrono::duration<double, std::micro>(t2 - t1).count());
        metrics_us.push_back(std::chrono::duration<double, std::micro>(t3 - t2).count());
    }
    std::printf(
        "user space, %zu segments: map read %.0f us, JSON lines %.0f us, /metrics render %.0f us "
        "per poll (medians of 50)\n",
        segments, median(read_us), median(json_us), median(metrics_us));
    double poll_ms = 10.0;
    std::printf("  at P = %.0f ms: %.1f%% of one core for read + JSON\n", poll_ms,
                (median(read_us) + median(json_us)) / (poll_ms * 10.0));
    return 0;
}
