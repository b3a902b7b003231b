// bench_pipeline: nanoseconds per packet of the eBPF switch pipeline (and the host client),
// measured in the kernel with BPF_PROG_TEST_RUN over `--repeat` runs per trial. Prints a
// table; --json FILE writes the figures. Needs root.
//
// A test run repeats the program on one skb, so every repetition goes through bench_restore
// (bench_restore.bpf.c), which writes the original frame back and tail-calls the program
// under test. The same harness with a no-op target is the baseline; "net" = total - baseline.
//
//   bench_pipeline [--repeat 1000000] [--trials 5] [--json out.json]
#include <linux/pkt_cls.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "bench_restore.skel.h"
#include "bpf_run.hpp"
#include "chima/bpf/host_client.hpp"
#include "chima/bpf/switch_pipeline.hpp"
#include "chima/error.hpp"
#include "packet.hpp"
#include "restore_harness.hpp"

using namespace chima;
using namespace chima::test;

namespace {

struct Scenario {
    std::string name;
    std::string description;
    int prog_fd;
    Bytes frame;
    uint32_t expected_verdict;
};

struct Result {
    std::string name;
    std::string description;
    size_t frame_bytes;
    std::vector<uint32_t> trials_ns;  // harness + program, per packet
    uint32_t median_ns = 0;
    uint32_t baseline_ns = 0;  // harness alone (median)
    int64_t net_ns = 0;
};

Result measure(bench::RestoreHarness& h, const Scenario& s, int repeat, int trials) {
    Result r{s.name, s.description, s.frame.size(), {}};
    r.baseline_ns =
        h.median_ns(s.frame, h.noop_fd(), {TC_ACT_OK}, repeat, trials, s.name + " baseline");
    r.median_ns =
        h.median_ns(s.frame, s.prog_fd, {s.expected_verdict}, repeat, trials, s.name, &r.trials_ns);
    r.net_ns = static_cast<int64_t>(r.median_ns) - r.baseline_ns;
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Per-packet cost of the CHIMA eBPF switch pipeline (BPF_PROG_TEST_RUN)"};
    int repeat = 1000000;
    int trials = 5;
    std::string json_path;
    app.add_option("--repeat", repeat, "runs per trial (>= 1)")->check(CLI::Range(1, 100000000));
    app.add_option("--trials", trials, "trials per scenario; the median is reported")
        ->check(CLI::Range(1, 100));
    app.add_option("--json", json_path, "write the results as JSON to this file");
    CLI11_PARSE(app, argc, argv);
    if (::geteuid() != 0) {
        std::fprintf(stderr, "bench_pipeline: error: needs root (CAP_BPF)\n");
        return 1;
    }

    try {
        bench::PinScope pins("pipeline");
        auto sw = bench::bench_switch(pins.root / "switch");
        sw.set_prefix_route(Ipv4{0x0a000100}, 24, 2);
        sw.install_function(1, bpf_object_path("testfn_passthrough"));
        auto client = bpf::HostClient::create(pins.root / "client");
        LabelStack stack;
        stack.push_back(SegmentId::function(1));
        stack.push_back(SegmentId::adjacency(2));
        stack.push_back(SegmentId::adjacency(3));
        client.set_flow(Ipv4{0x0a000001}, Ipv4{0x0a000102}, stack);

        // Minimum-size frames: 14 Ethernet + 20 IPv4 + 8 UDP + 18 payload = 60 bytes (+ FCS).
        Bytes ip = udp_packet(Ipv4Fields{}, 5000, 6000, payload_of(18));
        Bytes eth_ip = ethernet(0x020000000101ull, 0x02000000000aull, 0x0800);
        Bytes eth_mpls = ethernet(0x020000000101ull, 0x02000000000aull, 0x8847);
        int ingress = sw.ingress_program_fd();
        std::vector<Scenario> scenarios = {
            {"plain_forwarding", "unmanaged IPv4, LPM route, MAC rewrite", ingress,
             concat({eth_ip, ip}), TC_ACT_REDIRECT},
            {"sr_adjacency_php", "1 label: adjacency, penultimate hop pop", ingress,
             concat({eth_mpls, mpls({0x80002}), ip}), TC_ACT_REDIRECT},
            {"sr_3_labels_passthrough_fn",
             "3 labels: pass-through function, adjacency (pop 2 of 3)", ingress,
             concat({eth_mpls, mpls({0x40001, 0x80002, 0x80003}), ip}), TC_ACT_REDIRECT},
            {"client_push_3_labels", "host client pushes a 3-label stack",
             client.egress_program_fd(), concat({eth_ip, ip}), TC_ACT_OK},
        };

        bench::RestoreHarness harness;  // throws when the kernel refuses it
        std::vector<Result> results;
        for (const auto& s : scenarios)
            results.push_back(measure(harness, s, repeat, trials));

        std::printf("%-28s %6s %9s %11s %7s  %s\n", "scenario", "bytes", "total_ns", "baseline_ns",
                    "net_ns", "what");
        for (const auto& r : results) {
            std::printf("%-28s %6zu %9u %11u %7lld  %s\n", r.name.c_str(), r.frame_bytes,
                        r.median_ns, r.baseline_ns, static_cast<long long>(r.net_ns),
                        r.description.c_str());
        }
        std::printf(
            "repeat %d x %d trials (median); goal: sr_3_labels_passthrough_fn net <= 150 "
            "ns/packet\n",
            repeat, trials);

        if (!json_path.empty()) {
            nlohmann::json doc = {{"kind", "chima.bench.pipeline"},
                                  {"version", 1},
                                  {"repeat", repeat},
                                  {"trials", trials},
                                  {"goal_ns", {{"sr_3_labels_passthrough_fn", 150}}},
                                  {"results", nlohmann::json::array()}};
            for (const auto& r : results) {
                doc["results"].push_back({{"name", r.name},
                                          {"description", r.description},
                                          {"frame_bytes", r.frame_bytes},
                                          {"total_ns", r.median_ns},
                                          {"baseline_ns", r.baseline_ns},
                                          {"net_ns", r.net_ns},
                                          {"trials_total_ns", r.trials_ns}});
            }
            std::ofstream out(json_path);
            out << doc.dump(2) << "\n";
            if (!out)
                throw RuntimeError("cannot write " + json_path);
        }
    } catch (const Error& e) {
        std::fprintf(stderr, "bench_pipeline: error: %s\n", e.what());
        return static_cast<int>(e.code());
    }
    return 0;
}
