// bench_hop: what one switch hop costs over veth, CHIMA switch vs Linux bridge, side by side
// in the same run (bench/hop/hop_lab.hpp draws the namespaces). A generator sends
// minimum-size frames as fast as one CPU can through 0 and through 3 switches to a sink that
// counts and drops; per-hop cost = (1/rate_3 - 1/rate_0) / 3, from the sink's counts.
//
// Variants, each repeated --reps times in turn (medians reported):
//   direct_plain / direct_sr   no switch, the 60-byte Ethernet/IPv4/UDP frame / the SR frame
//   chima_sr                   3 CHIMA switches; the frame carries [fn 1, adj 2] per switch
//                              (6 labels, 84 bytes): segment evaluation, pass-through function
//                              in slot 1, adjacency pop; the last switch pops the last label
//   direct_sr_adj/chima_sr_adj the same without functions: [adj 2] per switch (3 labels)
//   chima_plain                3 CHIMA switches, no labels: MAC route (a plain L2 hop)
//   bridge                     3 Linux bridges, same 60-byte frame
//   tc_redirect                3 bare TC redirects (the floor of a BPF switch), same frame
// Goal: chima_sr per hop <= bridge per hop.
//
//   bench_hop [--seconds 2] [--reps 5] [--cpu 1] [--fifo] [--json out.json]
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "chima/error.hpp"
#include "frame_generator.hpp"
#include "hop_lab.hpp"
#include "packet.hpp"

using namespace chima;
using namespace chima::bench;
using nlohmann::json;

namespace {

std::atomic<bool> g_stop{false};

void on_signal(int) {
    g_stop.store(true);
}

void check_stop() {
    if (g_stop.load())
        throw RuntimeError("interrupted");
}

struct Variant {
    std::string name;
    Path path;
    test::Bytes frame;
};

struct Sample {
    double rate_pps = 0;
    uint64_t sent = 0, received = 0;
};

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::vector<Variant> variants() {
    test::Ipv4Fields ip;  // 10.0.0.1 -> 10.0.1.2, UDP
    test::Bytes udp = test::udp_packet(ip, 5000, 6000, test::payload_of(18));
    test::Bytes plain = test::concat({test::ethernet(kSinkMac, kGenMac, 0x0800), udp});
    std::vector<uint32_t> labels;
    for (int i = 0; i < kHops; ++i) {
        labels.push_back(0x40000u | kPassthroughSlot);  // function SID: slot 1
        labels.push_back(0x80000u | 2);                 // adjacency SID: port 2
    }
    test::Bytes sr = test::concat(
        {test::ethernet(switch_port_mac(1, 1), kGenMac, 0x8847), test::mpls(labels), udp});
    // Without the function: [adj 2] per switch, to see what the slot's tail calls cost.
    test::Bytes sr_adj =
        test::concat({test::ethernet(switch_port_mac(1, 1), kGenMac, 0x8847),
                      test::mpls(std::vector<uint32_t>(kHops, 0x80000u | 2)), udp});
    return {{"direct_plain", Path::Direct, plain}, {"direct_sr", Path::Direct, sr},
            {"chima_sr", Path::Chima, sr},         {"direct_sr_adj", Path::Direct, sr_adj},
            {"chima_sr_adj", Path::Chima, sr_adj}, {"chima_plain", Path::Chima, plain},
            {"bridge", Path::Bridge, plain},       {"tc_redirect", Path::Redirect, plain}};
}

Sample run_variant(HopLab& lab, const Variant& v, double seconds, int cpu, bool fifo) {
    uint64_t before = lab.sink_count(v.path);
    GeneratorRun run;
    lab.generator().run([&] {
        run = send_frames(lab.generator_ifindex(v.path), v.frame, seconds, cpu, fifo, g_stop);
    });
    // Over veth the path runs in the sender's softirq; a short pause covers stragglers.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    check_stop();
    Sample s;
    s.sent = run.sent;
    s.received = lab.sink_count(v.path) - before;
    s.rate_pps = run.seconds > 0 ? static_cast<double>(s.received) / run.seconds : 0;
    if (s.received == 0)
        throw RuntimeError(v.name + ": the sink received nothing (" + std::to_string(run.sent) +
                           " sent)");
    return s;
}

// ns per hop from the two rates (packets per second).
double per_hop_ns(double rate_hops, double rate_direct) {
    return (1e9 / rate_hops - 1e9 / rate_direct) / kHops;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Cost of one switch hop over veth: CHIMA switch vs Linux bridge"};
    double seconds = 2;
    int reps = 5;
    int cpu = 1;
    bool fifo = false;
    bool transmit = false;
    std::string json_path;
    app.add_flag("--transmit", transmit,
                 "CHIMA switch ports transmit (bpf_redirect) instead of delivering into the peer");
    app.add_option("--seconds", seconds, "sending time per variant and repetition")
        ->check(CLI::Range(0.05, 600.0));
    app.add_option("--reps", reps, "repetitions; medians are reported")->check(CLI::Range(1, 100));
    app.add_option("--cpu", cpu, "CPU the generator (and so the whole path) runs on; -1: any")
        ->check(CLI::Range(-1, 1023));
    app.add_flag("--fifo", fifo,
                 "run the generator SCHED_FIFO: steadier figures while other work shares the CPU");
    app.add_option("--json", json_path, "write the JSON here instead of stdout");
    CLI11_PARSE(app, argc, argv);
    if (::geteuid() != 0) {
        std::fprintf(stderr, "bench_hop: error: needs root (netns, BPF)\n");
        return 1;
    }
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);

    try {
        remove_stale_labs();
        HopLab lab(!transmit);
        auto vs = variants();
        // Warm-up: every path must deliver before anything is measured.
        for (const auto& v : vs)
            run_variant(lab, v, 0.05, cpu, fifo);
        uint64_t drops_before = lab.switch_drops();

        std::map<std::string, std::vector<Sample>> samples;
        std::map<std::string, std::vector<double>> hop_ns;
        std::vector<double> rep_ratio;  // chima_sr / bridge within each repetition
        for (int r = 0; r < reps; ++r) {
            std::map<std::string, double> rate;
            for (const auto& v : vs) {
                check_stop();
                Sample s = run_variant(lab, v, seconds, cpu, fifo);
                samples[v.name].push_back(s);
                rate[v.name] = s.rate_pps;
            }
            hop_ns["chima_sr"].push_back(per_hop_ns(rate["chima_sr"], rate["direct_sr"]));
            hop_ns["chima_sr_adj"].push_back(
                per_hop_ns(rate["chima_sr_adj"], rate["direct_sr_adj"]));
            hop_ns["chima_plain"].push_back(per_hop_ns(rate["chima_plain"], rate["direct_plain"]));
            hop_ns["bridge"].push_back(per_hop_ns(rate["bridge"], rate["direct_plain"]));
            hop_ns["tc_redirect"].push_back(per_hop_ns(rate["tc_redirect"], rate["direct_plain"]));
            rep_ratio.push_back(hop_ns["chima_sr"].back() / hop_ns["bridge"].back());
            std::fprintf(stderr,
                         "rep %d/%d ns/hop: chima_sr %.0f, chima_sr_adj %.0f, chima_plain %.0f, "
                         "bridge %.0f, tc_redirect %.0f\n",
                         r + 1, reps, hop_ns["chima_sr"].back(), hop_ns["chima_sr_adj"].back(),
                         hop_ns["chima_plain"].back(), hop_ns["bridge"].back(),
                         hop_ns["tc_redirect"].back());
        }
        uint64_t drops = lab.switch_drops() - drops_before;

        json doc = {{"kind", "chima.bench.hop"},
                    {"version", 1},
                    {"seconds", seconds},
                    {"reps", reps},
                    {"cpu", cpu},
                    {"fifo", fifo},
                    {"hops", kHops},
                    {"switch_drops", drops},
                    {"variants", json::array()},
                    {"per_hop_ns", json::object()}};
        std::printf("%-13s %6s %12s %12s %9s\n", "variant", "bytes", "median_kpps", "ns/frame",
                    "loss");
        for (const auto& v : vs) {
            std::vector<double> rates, losses;
            for (const auto& s : samples[v.name]) {
                rates.push_back(s.rate_pps);
                losses.push_back(s.sent ? 1.0 - static_cast<double>(s.received) / s.sent : 0);
            }
            double m = median(rates);
            std::printf("%-13s %6zu %12.0f %12.0f %8.2f%%\n", v.name.c_str(), v.frame.size(),
                        m / 1e3, 1e9 / m, 100 * median(losses));
            doc["variants"].push_back({{"name", v.name},
                                       {"path", path_name(v.path)},
                                       {"frame_bytes", v.frame.size()},
                                       {"median_pps", m},
                                       {"rates_pps", rates},
                                       {"median_loss", median(losses)}});
        }
        double sr = median(hop_ns["chima_sr"]);
        double plain = median(hop_ns["chima_plain"]);
        double bridge = median(hop_ns["bridge"]);
        for (const auto& [name, v] : hop_ns)
            doc["per_hop_ns"][name] = {{"median", median(v)}, {"reps", v}};
        doc["ratio_chima_sr_over_bridge"] = sr / bridge;
        doc["ratio_chima_sr_over_bridge_per_rep"] = rep_ratio;
        doc["ratio_chima_sr_over_bridge_median_of_reps"] = median(rep_ratio);
        doc["ratio_chima_plain_over_bridge"] = plain / bridge;
        doc["goal_met"] = sr <= bridge;
        std::printf(
            "\nper hop (median of %d): chima SR + pass-through fn %.0f ns, chima SR adjacency "
            "only %.0f ns, chima plain (MAC route) %.0f ns, Linux bridge %.0f ns, bare TC redirect "
            "%.0f ns\n",
            reps, sr, median(hop_ns["chima_sr_adj"]), plain, bridge, median(hop_ns["tc_redirect"]));
        std::printf(
            "chima_sr / bridge = %.2f (median of per-repetition ratios %.2f); goal (chima_sr <= "
            "bridge): %s; switch drops: %llu\n",
            sr / bridge, median(rep_ratio), sr <= bridge ? "met" : "NOT met",
            static_cast<unsigned long long>(drops));
        if (json_path.empty()) {
            std::printf("%s\n", doc.dump(2).c_str());
        } else {
            std::ofstream out(json_path);
            out << doc.dump(2) << "\n";
            if (!out)
                throw RuntimeError("cannot write " + json_path);
        }
    } catch (const Error& e) {
        std::fprintf(stderr, "bench_hop: error: %s\n", e.what());
        return g_stop.load() ? 130 : static_cast<int>(e.code());
    }
    return g_stop.load() ? 130 : 0;
}
