// bench_agent: what P4Runtime costs over the direct pin update, and what a function swap by
// RECONCILE_AND_COMMIT costs under traffic.
//
// Write: entries of the template's forwarding table (ChimaIngress.forwarding, an LPM table
// on the eBPF pipeline's prefix routes) written through chima-agent over loopback gRPC, and
// the same routes written straight into the pinned map (SwitchPipeline::set_prefix_route)
// in the same run, rounds alternated:
//   - single-entry Write latency (one INSERT per Write), p50 and p99, vs one map update;
//   - entries per second with batches of 1 and of 1,000 (INSERT, then DELETE of the same).
// Reconcile: UDP from a to b at 20,000 packets/s through the function in slot 5; one
// RECONCILE_AND_COMMIT swaps it; the commit's time as the client sees it and the packets
// lost, per trial.
//
//   bench_agent [--trials 5] [--entries 1000] [--json out.json]
#include <net/if.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "agent_lab.hpp"
#include "chima/bpf/host_client.hpp"
#include "chima/error.hpp"
#include "chima/bpf/switch_pipeline.hpp"
#include "chima/label_stack.hpp"
#include "chima/segment_id.hpp"
#include "chima/units.hpp"

using namespace chima;
using namespace chima::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Set = ::p4::v1::SetForwardingPipelineConfigRequest;
namespace fs = std::filesystem;

namespace {

const fs::path kRun = "/tmp/chima-bench-agent";
const fs::path kSwitchPins = "/sys/fs/bpf/chima/agent/p4t/switch";

double us(Clock::duration d) {
    return std::chrono::duration<double, std::micro>(d).count();
}

double percentile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5))];
}

double median(std::vector<double> v) {
    return percentile(std::move(v), 0.5);
}

// The ids a client finds by name in the P4Info.
struct ForwardingIds {
    uint32_t table = 0, field = 0, action = 0, param = 0;
};

ForwardingIds forwarding_ids(const ::p4::config::v1::P4Info& info) {
    ForwardingIds ids;
    for (const auto& t : info.tables())
        if (t.preamble().name() == "ChimaIngress.forwarding") {
            ids.table = t.preamble().id();
            ids.field = t.match_fields(0).id();
        }
    for (const auto& a : info.actions())
        if (a.preamble().name() == "ChimaIngress.forward") {
            ids.action = a.preamble().id();
            ids.param = a.params(0).id();
        }
    if (!ids.table || !ids.action)
        throw chima::RuntimeError("the template P4Info has no ChimaIngress.forwarding / forward");
    return ids;
}

std::string be32(uint32_t v) {
    std::string s(4, '\0');
    for (int i = 0; i < 4; ++i)
        s[i] = static_cast<char>(v >> (24 - 8 * i));
    return s;
}

::p4::v1::Update route(const ForwardingIds& ids, ::p4::v1::Update::Type type, uint32_t ip,
                       uint32_t port) {
    ::p4::v1::Update u;
    u.set_type(type);
    auto* e = u.mutable_entity()->mutable_table_entry();
    e->set_table_id(ids.table);
    auto* m = e->add_match();
    m->set_field_id(ids.field);
    m->mutable_lpm()->set_value(be32(ip));
    m->mutable_lpm()->set_prefix_len(32);
    if (type != ::p4::v1::Update::DELETE) {
        auto* a = e->mutable_action()->mutable_action();
        a->set_action_id(ids.action);
        auto* p = a->add_params();
        p->set_param_id(ids.param);
        p->set_value(std::string(1, static_cast<char>(port)));
    }
    return u;
}

::p4::v1::ForwardingPipelineConfig config(const std::map<uint32_t, std::string>& fns) {
    ::p4::v1::ForwardingPipelineConfig c;
    *c.mutable_p4info() = template_p4info();
    c.set_p4_device_config(test_device_config(fns));
    return c;
}

void require_ok(const grpc::Status& s, const std::string& what) {
    if (!s.ok())
        throw chima::RuntimeError(what + ": " + s.error_message());
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app("P4Runtime Write and RECONCILE_AND_COMMIT through chima-agent vs direct pins");
    int trials = 5, entries = 1000;
    std::string json_out;
    app.add_option("--trials", trials)->capture_default_str();
    app.add_option("--entries", entries, "entries per Write round")->capture_default_str();
    app.add_option("--json", json_out);
    CLI11_PARSE(app, argc, argv);
    if (geteuid() != 0) {
        std::fprintf(stderr, "bench_agent: needs root\n");
        return 77;
    }
    nlohmann::json out;
    try {
        EndpointLab lab;
        AgentProcess agent(switch_args(), kRun);
        auto stub = p4runtime_stub(agent.p4runtime_port());
        Controller ctl(*stub, 1, 1);
        if (!ctl.stream().next_arbitration())
            throw chima::RuntimeError("no arbitration answer");
        require_ok(
            ctl.set_pipeline(Set::VERIFY_AND_COMMIT, config({{5, "testfn_passthrough.bpf.o"}})),
            "pipeline");
        ForwardingIds ids = forwarding_ids(template_p4info());
        auto direct = bpf::SwitchPipeline::open(kSwitchPins);

        // ---- the transport's floor: an empty RPC (Capabilities) over the same channel
        std::vector<double> empty_us;
        for (int i = 0; i < entries; ++i) {
            grpc::ClientContext c;
            ::p4::v1::CapabilitiesRequest req;
            ::p4::v1::CapabilitiesResponse resp;
            auto t0 = Clock::now();
            require_ok(stub->Capabilities(&c, req, &resp), "capabilities");
            empty_us.push_back(us(Clock::now() - t0));
        }
        out["empty_rpc"] = {{"p50_us", percentile(empty_us, 0.5)},
                            {"p99_us", percentile(empty_us, 0.99)}};

        // ---- single-entry latency, alternated rounds
        std::vector<double> rpc_us, map_us;
        uint32_t base = 0x0b000000;  // 11.0.0.0/8, routes nobody uses
        for (int t = 0; t < trials; ++t) {
            for (int i = 0; i < entries; ++i) {
                uint32_t ip = base + i;
                auto t0 = Clock::now();
                require_ok(ctl.write({route(ids, ::p4::v1::Update::INSERT, ip, 2)}), "insert");
                rpc_us.push_back(us(Clock::now() - t0));
                require_ok(ctl.write({route(ids, ::p4::v1::Update::DELETE, ip, 2)}), "delete");
            }
            for (int i = 0; i < entries; ++i) {
                Ipv4 ip = Ipv4{base + i};
                auto t0 = Clock::now();
                direct.set_prefix_route(ip, 32, 2);
                map_us.push_back(us(Clock::now() - t0));
                direct.delete_prefix_route(ip, 32);
            }
        }
        out["single"] = {{"p4runtime_p50_us", percentile(rpc_us, 0.5)},
                         {"p4runtime_p99_us", percentile(rpc_us, 0.99)},
                         {"direct_p50_us", percentile(map_us, 0.5)},
                         {"direct_p99_us", percentile(map_us, 0.99)},
                         {"overhead_p50_us", percentile(rpc_us, 0.5) - percentile(map_us, 0.5)}};

        // ---- entries per second: batches of 1 and 1,000 vs direct
        auto rate = [&](size_t batch) {
            std::vector<double> per_s;
            for (int t = 0; t < trials; ++t) {
                auto t0 = Clock::now();
                for (int i = 0; i < entries; i += batch) {
                    std::vector<::p4::v1::Update> ups;
                    for (int k = i; k < std::min<int>(entries, i + batch); ++k)
                        ups.push_back(route(ids, ::p4::v1::Update::INSERT, base + k, 2));
                    require_ok(ctl.write(ups), "batch insert");
                }
                per_s.push_back(entries / std::chrono::duration<double>(Clock::now() - t0).count());
                for (int i = 0; i < entries; i += 1000) {
                    std::vector<::p4::v1::Update> ups;
                    for (int k = i; k < std::min(entries, i + 1000); ++k)
                        ups.push_back(route(ids, ::p4::v1::Update::DELETE, base + k, 2));
                    require_ok(ctl.write(ups), "batch delete");
                }
            }
            return median(per_s);
        };
        std::vector<double> direct_per_s;
        for (int t = 0; t < trials; ++t) {
            auto t0 = Clock::now();
            for (int i = 0; i < entries; ++i)
                direct.set_prefix_route(Ipv4{base + i}, 32, 2);
            direct_per_s.push_back(entries /
                                   std::chrono::duration<double>(Clock::now() - t0).count());
            for (int i = 0; i < entries; ++i)
                direct.delete_prefix_route(Ipv4{base + i}, 32);
        }
        double b1 = rate(1), b1000 = rate(1000), d = median(direct_per_s);
        out["rate"] = {{"batch_1_per_s", b1},
                       {"batch_1000_per_s", b1000},
                       {"direct_per_s", d},
                       {"batch_1000_vs_direct", b1000 / d}};

        // ---- RECONCILE_AND_COMMIT swapping the flow's function under traffic
        std::optional<LabelledFlow> flow;
        flow.emplace(lab, 5);  // a -> b through slot 5
        std::vector<double> commit_ms;
        std::vector<uint64_t> lost;
        const char* fns[] = {"testfn_set_ttl.bpf.o", "testfn_passthrough.bpf.o"};
        for (int t = 0; t < trials; ++t) {
            UdpStream traffic(lab, 6000 + t, 20000);
            std::this_thread::sleep_for(300ms);
            auto t0 = Clock::now();
            require_ok(ctl.set_pipeline(Set::RECONCILE_AND_COMMIT, config({{5, fns[t % 2]}})),
                       "reconcile");
            commit_ms.push_back(us(Clock::now() - t0) / 1000.0);
            std::this_thread::sleep_for(300ms);
            auto [sent, received] = traffic.stop();
            lost.push_back(sent - received);
        }
        flow.reset();
        out["reconcile"] = {{"commit_ms_median", median(commit_ms)},
                            {"commit_ms", commit_ms},
                            {"lost", lost},
                            {"lost_max", *std::max_element(lost.begin(), lost.end())}};
        agent.stop();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_agent: error: %s\n", e.what());
        return 1;
    }
    out["trials"] = trials;
    out["entries"] = entries;
    std::printf("%s\n", out.dump(2).c_str());
    if (!json_out.empty())
        std::ofstream(json_out) << out.dump(2) << "\n";
    return 0;
}
