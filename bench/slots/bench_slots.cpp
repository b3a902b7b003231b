// bench_slots: what a P4 function costs in its switch slot, and how the firewall's ternary
// table scales with its number of entries. Everything runs in the kernel with
// BPF_PROG_TEST_RUN on the real switch pipeline (bench/slots/restore_harness.hpp).
//
// Per function: each example of p4/functions/ is compiled by libchima's P4 compiler (as
// chima-compile does), installed in a slot with table entries that the packet hits, and a
// frame with the label stack [function slot, adjacency port 2] goes through the pipeline.
// The function's own cost = that - the same stack with the pass-through function.
//
// Ternary scaling: the firewall (table size raised to 16384 for this run) with 1, 100 and
// 10,000 entries over the same 4 distinct masks (and 1 entry with 1 mask as a reference).
// A packet that hits entry 0 (checked once as deny: the verdict must be a drop; measured as
// allow) and one that misses; both are forwarded. Tuple-space search costs one hash lookup
// per mask, so the cost must not grow with entries while the masks stay the same.
//
//   bench_slots [--repeat 1000000] [--trials 5] [--json out.json]
#include <linux/pkt_cls.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "bpf_run.hpp"
#include "chima/unique_fd.hpp"
#include "chima/bpf/switch_pipeline.hpp"
#include "chima/error.hpp"
#include "chima/p4/compiler.hpp"
#include "chima/bpf/table_entries.hpp"
#include "packet.hpp"
#include "restore_harness.hpp"

using namespace chima;
using namespace chima::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr uint32_t kPassthroughSlot = 1;
constexpr uint32_t kScalingSlot = 20;
constexpr uint64_t kSwitchPort1Mac = 0x020000000101ull;
constexpr uint64_t kHostMac = 0x02000000000aull;
constexpr uint32_t kPacketDst = 0x0a000102;  // 10.0.1.2 (Ipv4Fields default)

uint32_t fn_sid(uint32_t slot) {
    return 0x40000u | slot;
}
uint32_t adj_sid(uint32_t port) {
    return 0x80000u | port;
}

fs::path source_root() {
    const char* r = std::getenv("CHIMA_ROOT");
    return r ? r : CHIMA_DEFAULT_ROOT;
}

p4::CompileOptions compile_options() {
    p4::CompileOptions o;
    o.build_dir = CHIMA_BENCH_CACHE_DIR;
    o.bpf_include_dir = source_root() / "bpf" / "include";
    return o;
}

// A minimum-size UDP frame from the host behind port 1 carrying [function slot, adj 2].
Bytes sr_frame(uint32_t slot, uint32_t dst = kPacketDst) {
    Ipv4Fields ip;
    ip.dst = dst;
    return concat({ethernet(kSwitchPort1Mac, kHostMac, 0x8847), mpls({fn_sid(slot), adj_sid(2)}),
                   udp_packet(ip, 5000, 6000, payload_of(18))});
}

p4::KeyMatch exact(uint64_t v) {
    return {.value = v};
}
p4::KeyMatch ternary(uint64_t v, uint64_t mask) {
    return {.value = v, .mask = mask};
}
p4::KeyMatch any() {
    return {.mask = 0, .wildcard = true};
}

struct FunctionCase {
    std::string file;
    std::string note;
    std::vector<p4::EntrySpec> entries;
    std::vector<uint32_t> verdicts = {TC_ACT_REDIRECT};
};

std::vector<FunctionCase> function_cases() {
    return {
        {"changettl.p4", "sets TTL 42", {}},
        {"decrement_ttl.p4", "TTL - 1", {}},
        {"dscp_marker.p4",
         "exact table hit: DSCP 46",
         {{.table = "marks",
           .keys = {exact(kPacketDst), exact(17)},
           .action = "set_dscp",
           .params = {46}}}},
        {"firewall.p4",
         "ternary, 1 entry (allow) hit",
         {{.table = "acl",
           .keys = {any(), ternary(kPacketDst, 0xffffffff), any(), any(), any()},
           .action = "allow",
           .params = {},
           .priority = 1}}},
        {"flow_counter.p4", "register read + write", {}},
        {"port_rewriter.p4",
         "exact table hit: UDP port 6000 -> 7000",
         {{.table = "ports",
           .keys = {exact(17), exact(6000)},
           .action = "rewrite",
           .params = {7000}}}},
        {"rate_limiter.p4",
         "2 registers; the bucket is empty after a few packets: drops",
         {},
         {TC_ACT_REDIRECT, TC_ACT_SHOT}},
    };
}

// Entry i of the scaling table: 4 masks in turn, values no test packet matches except
// entry 0 (deny 10.0.1.2), which every hit packet matches.
p4::EntrySpec scaling_entry(uint32_t i) {
    p4::EntrySpec e;
    e.table = "acl";
    e.action = "deny";
    e.priority = i == 0 ? 1000000 : 1 + i;
    uint32_t n = i / 4;
    switch (i % 4) {
        case 0:  // destination /32
            e.keys = {any(), ternary(i == 0 ? kPacketDst : 0x0ac80000u + n, 0xffffffff), any(),
                      any(), any()};
            break;
        case 1:  // source /32 + destination /32
            e.keys = {ternary(0x0a640000u + n, 0xffffffff), ternary(0x0a650000u + n, 0xffffffff),
                      any(), any(), any()};
            break;
        case 2:  // destination /24 + protocol
            e.keys = {any(), ternary(0x0b000000u + (n << 8), 0xffffff00), ternary(6, 0xff), any(),
                      any()};
            break;
        default:  // protocol + destination port
            e.keys = {any(), any(), ternary(6, 0xff), any(), ternary(1000 + n, 0xffff)};
    }
    return e;
}

// Deletes every entry but entry 0 (the only one with its priority) from the table's pinned
// map; the masks map keeps the masks the deleted entries brought.
void keep_only_entry0(const fs::path& slot_dir, const json& p4info) {
    const json* table = nullptr;
    for (const auto& t : p4info.at("tables"))
        if (t.at("name").get<std::string>().ends_with("acl"))
            table = &t;
    if (!table)
        throw RuntimeError("firewall P4Info has no table acl");
    std::string map = table->at("map");
    std::replace(map.begin(), map.end(), '.', '_');
    int fd = bpf_obj_get((slot_dir / map).c_str());
    if (fd < 0)
        throw_errno("open pinned map " + map);
    UniqueFd owned(fd);
    const size_t key_size = table->at("key_size"), value_size = table->at("value_size");
    const uint32_t keep_priority = scaling_entry(0).priority;
    std::vector<std::vector<uint8_t>> doomed;
    std::vector<uint8_t> key(key_size), next(key_size), value(value_size);
    void* prev = nullptr;
    while (bpf_map_get_next_key(fd, prev, next.data()) == 0) {
        key = next;
        prev = key.data();
        if (bpf_map_lookup_elem(fd, key.data(), value.data()) != 0)
            continue;
        uint32_t priority;
        std::memcpy(&priority, value.data() + 4, sizeof priority);  // {action_id, priority, ..}
        if (priority != keep_priority)
            doomed.push_back(key);
    }
    for (const auto& k : doomed)
        if (bpf_map_delete_elem(fd, k.data()) != 0)
            throw_errno("delete a firewall entry");
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Per-function slot cost and ternary lookup scaling (BPF_PROG_TEST_RUN)"};
    int repeat = 1000000;
    int trials = 5;
    std::string json_path;
    app.add_option("--repeat", repeat, "runs per trial")->check(CLI::Range(1, 100000000));
    app.add_option("--trials", trials, "trials per figure; the median is reported")
        ->check(CLI::Range(1, 100));
    app.add_option("--json", json_path, "write the JSON here instead of stdout");
    CLI11_PARSE(app, argc, argv);
    if (::geteuid() != 0) {
        std::fprintf(stderr, "bench_slots: error: needs root (CAP_BPF)\n");
        return 1;
    }

    try {
        bench::PinScope pins("slots");
        auto sw = bench::bench_switch(pins.root / "switch");
        sw.install_function(kPassthroughSlot, bpf_object_path("testfn_passthrough"));
        bench::RestoreHarness h;
        const int ingress = sw.ingress_program_fd();
        auto measure = [&](const Bytes& frame, const std::vector<uint32_t>& verdicts,
                           const std::string& what) {
            return h.median_ns(frame, ingress, verdicts, repeat, trials, what);
        };

        uint32_t harness_ns = h.median_ns(sr_frame(kPassthroughSlot), h.noop_fd(), {TC_ACT_OK},
                                          repeat, trials, "harness");
        uint32_t passthrough_ns =
            measure(sr_frame(kPassthroughSlot), {TC_ACT_REDIRECT}, "pass-through");

        json doc = {{"kind", "chima.bench.slots"},
                    {"version", 1},
                    {"repeat", repeat},
                    {"trials", trials},
                    {"harness_ns", harness_ns},
                    {"passthrough_total_ns", passthrough_ns},
                    {"functions", json::array()},
                    {"ternary", json::array()}};

        std::printf("Per-function cost in a slot, stack [function, adjacency], %d x %d runs\n",
                    repeat, trials);
        std::printf("%-18s %10s %9s %8s %7s  %s\n", "function", "compile_ms", "total_ns", "own_ns",
                    "", "what");
        std::printf("%-18s %10s %9u %8s %7s  %s\n", "(pass-through)", "-", passthrough_ns, "0", "",
                    "the reference");
        uint32_t slot = kPassthroughSlot + 1;
        for (const auto& c : function_cases()) {
            auto start = std::chrono::steady_clock::now();
            auto compiled = p4::compile_function(source_root() / "p4" / "functions" / c.file, "",
                                                 compile_options());
            double compile_ms =
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                    .count();
            sw.install_function(slot, compiled.object_path);
            bpf::install_const_entries(sw.slot_dir(slot), compiled.p4info);
            for (const auto& e : c.entries)
                bpf::install_entry(sw.slot_dir(slot), compiled.p4info, e);
            uint32_t total = measure(sr_frame(slot), c.verdicts, c.file);
            // A function that drops takes the cheaper drop path (no deparse, no redirect):
            // its difference to the forwarded pass-through is not its own cost.
            bool drops = c.verdicts.size() > 1;
            int64_t own = static_cast<int64_t>(total) - passthrough_ns;
            std::string own_text = drops ? "n/a" : std::to_string(own);
            std::printf("%-18s %10.1f %9u %8s %7s  %s\n", c.file.c_str(), compile_ms, total,
                        own_text.c_str(), compiled.cached ? "cached" : "", c.note.c_str());
            doc["functions"].push_back({{"file", c.file},
                                        {"note", c.note},
                                        {"compile_ms", compile_ms},
                                        {"compile_cached", compiled.cached},
                                        {"total_ns", total},
                                        {"own_ns", drops ? json(nullptr) : json(own)}});
            ++slot;
        }

        // Ternary scaling: the firewall with room for 10,000 entries.
        std::string text;
        {
            std::ifstream in(source_root() / "p4" / "functions" / "firewall.p4");
            text.assign(std::istreambuf_iterator<char>(in), {});
        }
        auto at = text.find("size = 4096;");
        if (at == std::string::npos)
            throw RuntimeError("firewall.p4: no `size = 4096;` to raise");
        text.replace(at, 12, "size = 16384;");
        auto big =
            p4::compile_function_text(text, "firewall_16k.p4", "firewall", compile_options());
        sw.install_function(kScalingSlot, big.object_path);
        std::printf("\nFirewall ternary lookup (tuple-space search), ns per packet\n");
        std::printf("%8s %6s %10s %8s %10s %8s\n", "entries", "masks", "hit_total", "hit_own",
                    "miss_total", "miss_own");
        // Steps: entry 0 alone (1 mask); entry 0 alone with the 4 masks already known (entries
        // 1..3 added, then deleted from the table, their masks stay); 100; 10,000.
        struct Step {
            uint32_t entries, masks;
        };
        uint32_t installed = 0;
        for (Step step : {Step{1, 1}, Step{1, 4}, Step{100, 4}, Step{10000, 4}}) {
            uint32_t target = std::max(step.entries, step.masks);
            for (; installed < target; ++installed)
                bpf::install_entry(sw.slot_dir(kScalingSlot), big.p4info, scaling_entry(installed));
            if (step.entries < installed) {
                keep_only_entry0(sw.slot_dir(kScalingSlot), big.p4info);
                installed = 1;
            }
            // Entry 0 as deny proves the lookup finds it among all others (a drop); then as
            // allow, so hits and misses are both forwarded like the pass-through reference.
            auto entry0 = scaling_entry(0);
            bpf::install_entry(sw.slot_dir(kScalingSlot), big.p4info, entry0);
            h.median_ns(sr_frame(kScalingSlot), ingress, {TC_ACT_SHOT}, 1, 1, "ternary hit (deny)");
            entry0.action = "allow";
            bpf::install_entry(sw.slot_dir(kScalingSlot), big.p4info, entry0);
            uint32_t hit = measure(sr_frame(kScalingSlot), {TC_ACT_REDIRECT}, "ternary hit");
            uint32_t miss =
                measure(sr_frame(kScalingSlot, 0x0a000103), {TC_ACT_REDIRECT}, "ternary miss");
            int64_t hit_own = static_cast<int64_t>(hit) - passthrough_ns;
            int64_t miss_own = static_cast<int64_t>(miss) - passthrough_ns;
            std::printf("%8u %6u %10u %8lld %10u %8lld\n", step.entries, step.masks, hit,
                        (long long)hit_own, miss, (long long)miss_own);
            doc["ternary"].push_back({{"entries", step.entries},
                                      {"masks", step.masks},
                                      {"hit_total_ns", hit},
                                      {"hit_own_ns", hit_own},
                                      {"miss_total_ns", miss},
                                      {"miss_own_ns", miss_own}});
        }
        auto ratio = [&](size_t a, size_t b, const char* key) {
            return doc["ternary"][a][key].get<double>() / doc["ternary"][b][key].get<double>();
        };
        // Index 0: 1 entry / 1 mask; 1..3: 1, 100, 10,000 entries with the same 4 masks.
        doc["ratios_total"] = {{"hit_10000_over_1_same_masks", ratio(3, 1, "hit_total_ns")},
                               {"miss_10000_over_1_same_masks", ratio(3, 1, "miss_total_ns")},
                               {"hit_4_masks_over_1_mask", ratio(1, 0, "hit_total_ns")}};
        std::printf(
            "total ratio 10,000 / 1 entries (4 masks): hit %.2f, miss %.2f; 4 masks / 1 mask "
            "(1 entry): %.2f\n",
            doc["ratios_total"]["hit_10000_over_1_same_masks"].get<double>(),
            doc["ratios_total"]["miss_10000_over_1_same_masks"].get<double>(),
            doc["ratios_total"]["hit_4_masks_over_1_mask"].get<double>());
        std::printf("(own = total - pass-through total %u ns; harness alone %u ns)\n",
                    passthrough_ns, harness_ns);

        if (json_path.empty()) {
            std::printf("%s\n", doc.dump(2).c_str());
        } else {
            std::ofstream out(json_path);
            out << doc.dump(2) << "\n";
            if (!out)
                throw RuntimeError("cannot write " + json_path);
        }
        bpf::SwitchPipeline::remove(pins.root / "switch");
    } catch (const Error& e) {
        std::fprintf(stderr, "bench_slots: error: %s\n", e.what());
        return static_cast<int>(e.code());
    }
    return 0;
}
