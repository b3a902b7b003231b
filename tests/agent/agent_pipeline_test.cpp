// SetForwardingPipelineConfig on the eBPF switch, every action, and what it does to the
// function slots; RECONCILE_AND_COMMIT swapping one function under traffic without a lost
// packet; a warm restart (--keep) under traffic without a lost packet.
#include <doctest/doctest.h>

#include <net/if.h>

#include <filesystem>
#include <sstream>

#include "agent_lab.hpp"
#include "chima/bpf/host_client.hpp"
#include "chima/bpf/switch_pipeline.hpp"
#include "chima/label_stack.hpp"
#include "chima/segment_id.hpp"
#include "chima/units.hpp"

using namespace chima;
using namespace chima::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using grpc::StatusCode;
using Set = ::p4::v1::SetForwardingPipelineConfigRequest;
using Get = ::p4::v1::GetForwardingPipelineConfigRequest;

namespace {

const fs::path kRun = "/tmp/chima-agent-test";
const fs::path kSwitchPins = "/sys/fs/bpf/chima/agent/p4t/switch";

::p4::v1::ForwardingPipelineConfig config(const std::map<uint32_t, std::string>& fns,
                                          uint64_t cookie = 0) {
    ::p4::v1::ForwardingPipelineConfig c;
    *c.mutable_p4info() = template_p4info();
    c.set_p4_device_config(test_device_config(fns));
    if (cookie)
        c.mutable_cookie()->set_cookie(cookie);
    return c;
}

uint32_t slot_program(uint32_t slot) {
    return bpf::SwitchPipeline::open(kSwitchPins).slot_program_id(slot);
}

// What the switch and the client counted: why traffic did not arrive.
std::string dataplane_report() {
    std::ostringstream out;
    auto sw = bpf::SwitchPipeline::open(kSwitchPins);
    auto drops = sw.drop_counters();
    for (unsigned i = 0; i < drops.size(); ++i)
        if (drops[i])
            out << "drop " << bpf::drop_reason_name(i) << ": " << drops[i] << "; ";
    for (uint32_t p = 1; p <= 2; ++p) {
        auto c = sw.port_counters(p);
        out << "port " << p << " rx " << c.rx_packets << " tx " << c.tx_packets << "; ";
    }
    auto cc = bpf::HostClient::open(kClientPins).counters();
    out << "client pushed " << cc.pushed << ", unmanaged " << cc.unmanaged;
    return out.str();
}

}  // namespace

TEST_CASE("agent: every SetForwardingPipelineConfig action and GetForwardingPipelineConfig") {
    EndpointLab lab;
    AgentProcess agent(switch_args(), kRun);
    auto stub = p4runtime_stub(agent.p4runtime_port());
    Controller ctl(*stub, 1, 1);
    REQUIRE(ctl.stream().next_arbitration());
    ::p4::v1::ForwardingPipelineConfig got;

    // Refusals change nothing.
    CHECK(ctl.set_pipeline(Set::UNSPECIFIED, config({{5, "testfn_passthrough.bpf.o"}}))
              .error_code() == StatusCode::INVALID_ARGUMENT);
    CHECK(ctl.set_pipeline(Set::VERIFY_AND_COMMIT, std::nullopt).error_code() ==
          StatusCode::INVALID_ARGUMENT);
    auto corrupt = config({});
    corrupt.set_p4_device_config("{\"format\": \"chima-device-config-1\", \"functions\": [{}]}");
    CHECK(ctl.set_pipeline(Set::VERIFY_AND_COMMIT, corrupt).error_code() ==
          StatusCode::INVALID_ARGUMENT);
    CHECK(ctl.set_pipeline(Set::COMMIT, std::nullopt).error_code() ==
          StatusCode::NOT_FOUND);  // nothing saved
    {
        Controller backup(*stub, 1, 0);  // never primary: unset... id 0 is set but lower
        CHECK(backup.set_pipeline(Set::VERIFY, config({})).error_code() ==
              StatusCode::PERMISSION_DENIED);
    }

    // VERIFY: fine, and nothing happens.
    CHECK(ctl.set_pipeline(Set::VERIFY, config({{5, "testfn_passthrough.bpf.o"}})).ok());
    CHECK(slot_program(5) == 0);
    REQUIRE(ctl.get_pipeline(Get::ALL, got).ok());
    CHECK_FALSE(got.has_p4info());

    // VERIFY_AND_SAVE, then COMMIT (which takes no config).
    CHECK(
        ctl.set_pipeline(Set::VERIFY_AND_SAVE, config({{5, "testfn_passthrough.bpf.o"}}, 42)).ok());
    CHECK(slot_program(5) == 0);
    CHECK(ctl.set_pipeline(Set::COMMIT, config({})).error_code() == StatusCode::INVALID_ARGUMENT);
    CHECK(ctl.set_pipeline(Set::COMMIT, std::nullopt).ok());
    CHECK(slot_program(5) != 0);
    CHECK(ctl.set_pipeline(Set::COMMIT, std::nullopt).error_code() ==
          StatusCode::NOT_FOUND);  // used up

    // Get: the four response types.
    REQUIRE(ctl.get_pipeline(Get::ALL, got).ok());
    CHECK(got.has_p4info());
    CHECK_FALSE(got.p4_device_config().empty());
    CHECK(got.cookie().cookie() == 42);
    REQUIRE(ctl.get_pipeline(Get::COOKIE_ONLY, got).ok());
    CHECK_FALSE(got.has_p4info());
    CHECK(got.p4_device_config().empty());
    CHECK(got.cookie().cookie() == 42);
    REQUIRE(ctl.get_pipeline(Get::P4INFO_AND_COOKIE, got).ok());
    CHECK(got.has_p4info());
    CHECK(got.p4_device_config().empty());
    REQUIRE(ctl.get_pipeline(Get::DEVICE_CONFIG_AND_COOKIE, got).ok());
    CHECK_FALSE(got.has_p4info());
    CHECK_FALSE(got.p4_device_config().empty());

    // VERIFY_AND_COMMIT replaces everything: slot 5 empties, slot 6 serves.
    CHECK(ctl.set_pipeline(Set::VERIFY_AND_COMMIT, config({{6, "testfn_passthrough.bpf.o"}})).ok());
    CHECK(slot_program(5) == 0);
    uint32_t six = slot_program(6);
    CHECK(six != 0);
    REQUIRE(ctl.get_pipeline(Get::COOKIE_ONLY, got).ok());
    CHECK_FALSE(got.has_cookie());

    // RECONCILE_AND_COMMIT: slot 6 is the same function and stays as it is; 7 is added.
    CHECK(ctl.set_pipeline(Set::RECONCILE_AND_COMMIT,
                           config({{6, "testfn_passthrough.bpf.o"}, {7, "testfn_set_ttl.bpf.o"}}))
              .ok());
    CHECK(slot_program(6) == six);
    CHECK(slot_program(7) != 0);
    // ... and swaps only what changed: 6 gets another function, 7 goes.
    CHECK(ctl.set_pipeline(Set::RECONCILE_AND_COMMIT, config({{6, "testfn_set_ttl.bpf.o"}})).ok());
    CHECK(slot_program(6) != six);
    CHECK(slot_program(7) == 0);
}

TEST_CASE("agent: RECONCILE_AND_COMMIT swaps functions under traffic without losing a packet") {
    EndpointLab lab;
    AgentProcess agent(switch_args(), kRun);
    auto stub = p4runtime_stub(agent.p4runtime_port());
    Controller ctl(*stub, 1, 1);
    REQUIRE(ctl.stream().next_arbitration());
    REQUIRE(ctl.set_pipeline(Set::VERIFY_AND_COMMIT, config({{5, "testfn_passthrough.bpf.o"},
                                                             {6, "testfn_passthrough.bpf.o"}}))
                .ok());
    LabelledFlow flow(lab, 5);
    UdpStream traffic(lab, 5001, 5000);
    REQUIRE_MESSAGE(eventually([&] { return traffic.received() > 500; }), dataplane_report());

    // Another slot changes: this flow does not notice.
    uint32_t five = slot_program(5);
    REQUIRE(ctl.set_pipeline(Set::RECONCILE_AND_COMMIT,
                             config({{5, "testfn_passthrough.bpf.o"}, {6, "testfn_set_ttl.bpf.o"}}))
                .ok());
    CHECK(slot_program(5) == five);
    std::this_thread::sleep_for(200ms);
    // The flow's own function is swapped: one atomic update, no gap either.
    REQUIRE(ctl.set_pipeline(Set::RECONCILE_AND_COMMIT,
                             config({{5, "testfn_set_ttl.bpf.o"}, {6, "testfn_set_ttl.bpf.o"}}))
                .ok());
    CHECK(slot_program(5) != five);
    std::this_thread::sleep_for(300ms);
    auto [sent, received] = traffic.stop();
    INFO("sent " << sent << ", received " << received);
    CHECK(sent > 2000);
    CHECK(received == sent);
}

TEST_CASE("agent: a warm restart with --keep loses no packet and adopts the pipeline") {
    EndpointLab lab;
    std::optional<AgentProcess> agent;
    agent.emplace(switch_args({"--keep"}), kRun);
    uint32_t five = 0;
    {
        auto stub = p4runtime_stub(agent->p4runtime_port());
        Controller ctl(*stub, 1, 1);
        REQUIRE(ctl.stream().next_arbitration());
        REQUIRE(
            ctl.set_pipeline(Set::VERIFY_AND_COMMIT, config({{5, "testfn_passthrough.bpf.o"}}, 99))
                .ok());
        five = slot_program(5);
    }
    LabelledFlow flow(lab, 5);
    UdpStream traffic(lab, 5002, 5000);
    REQUIRE_MESSAGE(eventually([&] { return traffic.received() > 500; }), dataplane_report());

    CHECK(agent->stop().ok());
    CHECK(fs::exists(kSwitchPins));      // kept
    std::this_thread::sleep_for(200ms);  // the data plane forwards with no agent at all
    agent.emplace(switch_args({"--keep"}), kRun);
    CHECK(agent->ready()["switch"]["adopted"] == true);
    CHECK(slot_program(5) == five);  // nothing was reloaded
    {
        auto stub = p4runtime_stub(agent->p4runtime_port());
        Controller ctl(*stub, 1, 1);
        REQUIRE(ctl.stream().next_arbitration());
        ::p4::v1::ForwardingPipelineConfig got;
        REQUIRE(ctl.get_pipeline(Get::COOKIE_ONLY, got).ok());
        CHECK(got.cookie().cookie() == 99);  // the committed config came through
    }
    std::this_thread::sleep_for(300ms);
    auto [sent, received] = traffic.stop();
    INFO("sent " << sent << ", received " << received);
    CHECK(sent > 2000);
    CHECK(received == sent);

    // Kept again, adopted again; then stopped without --keep: everything goes.
    agent->stop();
    agent.emplace(switch_args(), kRun);
    CHECK(agent->ready()["switch"]["adopted"] == true);
    agent->stop();
    CHECK_FALSE(fs::exists(kSwitchPins));
    agent.emplace(switch_args(), kRun);
    CHECK(agent->ready()["switch"]["adopted"] == false);
}
