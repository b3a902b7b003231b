// Writes between SetForwardingPipelineConfig VERIFY_AND_SAVE and COMMIT: they refer to the
// saved config, are checked when made, read back from it, and leave the data plane as the
// committed config has it until COMMIT, which realises the saved config with them.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent_lab.hpp"
#include "chima/bpf/switch_pipeline.hpp"
#include "chima/units.hpp"

using namespace chima;
using namespace chima::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using grpc::StatusCode;
using Set = ::p4::v1::SetForwardingPipelineConfigRequest;
using Get = ::p4::v1::GetForwardingPipelineConfigRequest;
using Update = ::p4::v1::Update;

namespace {

const fs::path kRun = "/tmp/chima-agent-test";
const fs::path kSwitchPins = "/sys/fs/bpf/chima/agent/p4t/switch";

std::string firewall_source() {
    const char* root = std::getenv("CHIMA_ROOT");
    return std::string(root ? root : ".") + "/p4/functions/firewall.p4";
}

// The firewall with a smaller ACL: another object, so COMMIT loads it into its slot.
std::string small_firewall_source() {
    std::ifstream in(firewall_source());
    std::string text{std::istreambuf_iterator<char>(in), {}};
    auto at = text.find("size = 4096;");
    REQUIRE(at != std::string::npos);
    text.replace(at, 12, "size = 1024;");
    fs::create_directories(kRun / "src");
    fs::path out = kRun / "src" / "firewall.p4";
    std::ofstream(out) << text;
    return out.string();
}

uint32_t id_in(const ::p4::config::v1::P4Info& info, const std::string& name) {
    for (const auto& t : info.tables())
        if (t.preamble().name() == name)
            return t.preamble().id();
    for (const auto& a : info.actions())
        if (a.preamble().name() == name)
            return a.preamble().id();
    FAIL("no table or action " << name << " in the P4Info");
    return 0;
}

uint32_t field_in(const ::p4::config::v1::P4Info& info, uint32_t table, const std::string& name) {
    for (const auto& t : info.tables())
        if (t.preamble().id() == table)
            for (const auto& f : t.match_fields())
                if (f.name() == name)
                    return f.id();
    FAIL("no field " << name);
    return 0;
}

std::string be32(uint32_t v) {
    return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
            static_cast<char>(v)};
}

// The firewall's ACL in `slot` of `config`: deny everything from `src`.
Update deny_from(const ::p4::v1::ForwardingPipelineConfig& config, uint32_t slot, const char* src,
                 Update::Type type = Update::INSERT) {
    std::string prefix = "ChimaIngress.functions.fn_" + std::to_string(slot) + ".";
    uint32_t table = id_in(config.p4info(), prefix + "acl");
    Update u;
    u.set_type(type);
    auto* e = u.mutable_entity()->mutable_table_entry();
    e->set_table_id(table);
    auto* m = e->add_match();
    m->set_field_id(field_in(config.p4info(), table, "hdr.ipv4.src_addr"));
    m->mutable_ternary()->set_value(be32(Ipv4::parse(src)->value));
    m->mutable_ternary()->set_mask(be32(0xffffffff));
    e->set_priority(10);
    e->mutable_action()->mutable_action()->set_action_id(id_in(config.p4info(), prefix + "deny"));
    return u;
}

std::vector<::p4::v1::Entity> read_table(Controller& ctl, uint32_t table) {
    ::p4::v1::Entity e;
    e.mutable_table_entry()->set_table_id(table);
    std::vector<::p4::v1::Entity> out;
    auto s = ctl.read({e}, out);
    REQUIRE_MESSAGE(s.ok(), s.error_message());
    return out;
}

// Whether traffic gets through over the next moments (in-flight packets settled first).
bool flowing(const UdpStream& traffic) {
    std::this_thread::sleep_for(150ms);
    uint64_t before = traffic.received();
    std::this_thread::sleep_for(350ms);
    return traffic.received() > before + 100;
}

uint32_t slot_program(uint32_t slot) {
    return bpf::SwitchPipeline::open(kSwitchPins).slot_program_id(slot);
}

std::vector<int> codes(const grpc::Status& s) {
    std::vector<int> out;
    for (const auto& e : write_errors(s))
        out.push_back(e.canonical_code());
    return out;
}

}  // namespace

TEST_CASE(
    "agent: writes after VERIFY_AND_SAVE refer to the saved config and reach the data plane at "
    "COMMIT") {
    EndpointLab lab;
    AgentProcess agent(switch_args(), kRun);
    auto stub = p4runtime_stub(agent.p4runtime_port());
    Controller ctl(*stub, 1, 1);
    REQUIRE(ctl.stream().next_arbitration());
    // Committed: the firewall in slots 3 and 5, empty ACLs. Saved: slot 3 alone.
    auto committed = compiled_pipeline({{3, firewall_source(), ""}, {5, firewall_source(), ""}},
                                       kRun / "p4build");
    auto saved = compiled_pipeline({{3, firewall_source(), ""}}, kRun / "p4build");
    REQUIRE(ctl.set_pipeline(Set::VERIFY_AND_COMMIT, committed).ok());
    // COMMIT with nothing saved: NOT_FOUND.
    CHECK(ctl.set_pipeline(Set::COMMIT, std::nullopt).error_code() == StatusCode::NOT_FOUND);

    LabelledFlow flow(lab, 3);
    UdpStream traffic(lab, 5011, 2000);
    REQUIRE(eventually([&] { return traffic.received() > 200; }));
    uint32_t three = slot_program(3);

    REQUIRE(ctl.set_pipeline(Set::VERIFY_AND_SAVE, saved).ok());
    uint32_t acl = id_in(saved.p4info(), "ChimaIngress.functions.fn_3.acl");
    // Refused when written, by the saved config: a table only the committed config has, a
    // value wider than its field; nothing is kept of them.
    auto gone_table = ctl.write({deny_from(committed, 5, kIpA)});
    CHECK(codes(gone_table) == std::vector<int>{int(StatusCode::INVALID_ARGUMENT)});
    auto wide = deny_from(saved, 3, kIpA);
    wide.mutable_entity()->mutable_table_entry()->mutable_match(0)->mutable_ternary()->set_value(
        "\x01" + be32(Ipv4::parse(kIpA)->value));
    CHECK(codes(ctl.write({wide})) == std::vector<int>{int(StatusCode::OUT_OF_RANGE)});
    CHECK(read_table(ctl, acl).empty());
    // A batch: one accepted, one refused (per-update errors as for a committed config).
    auto batch = ctl.write({deny_from(saved, 3, kIpA), deny_from(saved, 3, kIpA)});
    CHECK(codes(batch) == std::vector<int>{int(StatusCode::OK), int(StatusCode::ALREADY_EXISTS)});

    // ROLLBACK_ON_ERROR against the saved config: all or nothing, as for a committed one.
    auto rolled = ctl.write({deny_from(saved, 3, kIpB), deny_from(saved, 3, kIpA)},
                            ::p4::v1::WriteRequest::ROLLBACK_ON_ERROR);
    CHECK(codes(rolled) ==
          std::vector<int>{int(StatusCode::ABORTED), int(StatusCode::ALREADY_EXISTS)});

    // Reads answer from the saved config: the deny is there, slot 5's table is not.
    auto got = read_table(ctl, acl);
    REQUIRE(got.size() == 1);
    CHECK(got[0].table_entry().priority() == 10);
    ::p4::v1::Entity all;
    all.mutable_table_entry();
    std::vector<::p4::v1::Entity> everything;
    REQUIRE(ctl.read({all}, everything).ok());
    for (const auto& e : everything)
        CHECK(e.table_entry().table_id() !=
              id_in(committed.p4info(), "ChimaIngress.functions.fn_5.acl"));
    // ... while the data plane runs the committed config: traffic passes, slot 5 serves.
    CHECK(flowing(traffic));
    CHECK(slot_program(5) != 0);
    ::p4::v1::ForwardingPipelineConfig now;
    REQUIRE(ctl.get_pipeline(Get::P4INFO_AND_COOKIE, now).ok());
    CHECK(now.p4info().tables_size() == committed.p4info().tables_size());

    // Only the primary writes to the saved config too.
    {
        Controller backup(*stub, 1, 0);
        REQUIRE(backup.stream().next_arbitration());
        CHECK(backup.write({deny_from(saved, 3, kIpB)}).error_code() ==
              StatusCode::PERMISSION_DENIED);
    }

    // COMMIT: slot 3 keeps its program (the same function), slot 5 empties, the deny is in.
    auto committing = ctl.set_pipeline(Set::COMMIT, std::nullopt);
    REQUIRE_MESSAGE(committing.ok(), committing.error_message());
    CHECK(slot_program(3) == three);
    CHECK(slot_program(5) == 0);
    CHECK_FALSE(flowing(traffic));
    CHECK(read_table(ctl, acl).size() == 1);
    CHECK(ctl.set_pipeline(Set::COMMIT, std::nullopt).error_code() == StatusCode::NOT_FOUND);
    // The replayed entry is an entry of the committed config like any other.
    REQUIRE(ctl.write({deny_from(saved, 3, kIpA, Update::DELETE)}).ok());
    CHECK(flowing(traffic));
    traffic.stop();
}

TEST_CASE(
    "agent: COMMIT loads a new function with its replayed entries; a second save drops the first's "
    "writes") {
    EndpointLab lab;
    AgentProcess agent(switch_args(), kRun);
    auto stub = p4runtime_stub(agent.p4runtime_port());
    Controller ctl(*stub, 1, 1);
    REQUIRE(ctl.stream().next_arbitration());
    auto committed = compiled_pipeline({{3, firewall_source(), ""}}, kRun / "p4build");
    auto other = compiled_pipeline({{3, small_firewall_source(), ""}}, kRun / "p4build-small");
    REQUIRE(ctl.set_pipeline(Set::VERIFY_AND_COMMIT, committed).ok());
    LabelledFlow flow(lab, 3);
    UdpStream traffic(lab, 5012, 2000);
    REQUIRE(eventually([&] { return traffic.received() > 200; }));
    uint32_t acl = id_in(other.p4info(), "ChimaIngress.functions.fn_3.acl");

    // A first save with a deny, replaced by a second save: the deny goes with the first.
    REQUIRE(ctl.set_pipeline(Set::VERIFY_AND_SAVE, other).ok());
    REQUIRE(ctl.write({deny_from(other, 3, kIpA)}).ok());
    REQUIRE(ctl.set_pipeline(Set::VERIFY_AND_SAVE, other).ok());
    CHECK(read_table(ctl, acl).empty());
    // VERIFY_AND_COMMIT discards a saved config: COMMIT finds nothing afterwards.
    REQUIRE(ctl.write({deny_from(other, 3, kIpA)}).ok());
    REQUIRE(ctl.set_pipeline(Set::VERIFY_AND_COMMIT, committed).ok());
    CHECK(ctl.set_pipeline(Set::COMMIT, std::nullopt).error_code() == StatusCode::NOT_FOUND);
    CHECK(read_table(ctl, id_in(committed.p4info(), "ChimaIngress.functions.fn_3.acl")).empty());
    CHECK(flowing(traffic));

    // Save the other firewall, deny a in it: traffic still passes until COMMIT, which loads
    // the new object into slot 3 with the deny already in its ACL.
    uint32_t three = slot_program(3);
    REQUIRE(ctl.set_pipeline(Set::VERIFY_AND_SAVE, other).ok());
    REQUIRE(ctl.write({deny_from(other, 3, kIpA)}).ok());
    CHECK(read_table(ctl, acl).size() == 1);
    CHECK(flowing(traffic));
    CHECK(slot_program(3) == three);
    auto committing = ctl.set_pipeline(Set::COMMIT, std::nullopt);
    REQUIRE_MESSAGE(committing.ok(), committing.error_message());
    CHECK(slot_program(3) != three);
    CHECK_FALSE(flowing(traffic));
    CHECK(read_table(ctl, acl).size() == 1);
    ::p4::v1::ForwardingPipelineConfig now;
    REQUIRE(ctl.get_pipeline(Get::P4INFO_AND_COOKIE, now).ok());
    CHECK(now.p4info().SerializeAsString() == other.p4info().SerializeAsString());
    traffic.stop();
}

TEST_CASE("agent: a COMMIT the kernel refuses half-way leaves the previous config serving") {
    EndpointLab lab;
    AgentProcess agent(switch_args(), kRun);
    auto stub = p4runtime_stub(agent.p4runtime_port());
    Controller ctl(*stub, 1, 1);
    REQUIRE(ctl.stream().next_arbitration());
    auto committed = compiled_pipeline({{3, firewall_source(), ""}, {5, firewall_source(), ""}},
                                       kRun / "p4build");
    auto saved = compiled_pipeline({{3, firewall_source(), ""}}, kRun / "p4build");
    REQUIRE(ctl.set_pipeline(Set::VERIFY_AND_COMMIT, committed).ok());
    // An entry of slot 5's ACL that must come back with its function.
    REQUIRE(ctl.write({deny_from(committed, 5, kIpB)}).ok());
    LabelledFlow flow(lab, 3);
    UdpStream traffic(lab, 5013, 2000);
    REQUIRE(eventually([&] { return traffic.received() > 200; }));
    uint32_t three = slot_program(3);

    REQUIRE(ctl.set_pipeline(Set::VERIFY_AND_SAVE, saved).ok());
    REQUIRE(ctl.write({deny_from(saved, 3, kIpA)}).ok());
    // The kernel side breaks: slot 3's ACL map loses its pin, so the COMMIT cannot open it
    // (after it emptied slot 5).
    auto device = nlohmann::json::parse(saved.p4_device_config());
    std::string acl_map;
    for (const auto& t : device.at("functions").at(0).at("p4info").at("tables"))
        if (t.at("name") == "acl")
            acl_map = t.at("map");
    REQUIRE_FALSE(acl_map.empty());
    REQUIRE(fs::remove(kSwitchPins / "slot-3" / acl_map));

    auto committing = ctl.set_pipeline(Set::COMMIT, std::nullopt);
    CHECK(committing.error_code() == StatusCode::INTERNAL);
    // The previous config serves: slot 3 untouched (no deny: traffic passes), slot 5 has its
    // function again, with its entry, and Get still answers it.
    CHECK(slot_program(3) == three);
    CHECK(slot_program(5) != 0);
    CHECK(flowing(traffic));
    ::p4::v1::ForwardingPipelineConfig now;
    REQUIRE(ctl.get_pipeline(Get::P4INFO_AND_COOKIE, now).ok());
    CHECK(now.p4info().SerializeAsString() == committed.p4info().SerializeAsString());
    // The saved config is still saved (reads refer to it); committing the old config again
    // reads slot 5's entry back from the switch's state.
    CHECK(read_table(ctl, id_in(saved.p4info(), "ChimaIngress.functions.fn_3.acl")).size() == 1);
    REQUIRE(ctl.set_pipeline(Set::RECONCILE_AND_COMMIT, committed).ok());
    CHECK(read_table(ctl, id_in(committed.p4info(), "ChimaIngress.functions.fn_5.acl")).size() ==
          1);
    CHECK(flowing(traffic));
    traffic.stop();
}

TEST_CASE("agent: a config saved and not committed does not survive a warm restart") {
    EndpointLab lab;
    std::optional<AgentProcess> agent;
    agent.emplace(switch_args({"--keep"}), kRun);
    auto committed = compiled_pipeline({{3, firewall_source(), ""}}, kRun / "p4build");
    auto other = compiled_pipeline({{3, small_firewall_source(), ""}}, kRun / "p4build-small");
    uint32_t acl = id_in(committed.p4info(), "ChimaIngress.functions.fn_3.acl");
    {
        auto stub = p4runtime_stub(agent->p4runtime_port());
        Controller ctl(*stub, 1, 1);
        REQUIRE(ctl.stream().next_arbitration());
        REQUIRE(ctl.set_pipeline(Set::VERIFY_AND_COMMIT, committed).ok());
        REQUIRE(ctl.set_pipeline(Set::VERIFY_AND_SAVE, other).ok());
        REQUIRE(ctl.write({deny_from(other, 3, kIpA)}).ok());
    }
    LabelledFlow flow(lab, 3);
    UdpStream traffic(lab, 5014, 2000);
    REQUIRE(eventually([&] { return traffic.received() > 200; }));
    CHECK(agent->stop().ok());
    agent.emplace(switch_args({"--keep"}), kRun);
    CHECK(agent->ready()["switch"]["adopted"] == true);
    auto stub = p4runtime_stub(agent->p4runtime_port());
    Controller ctl(*stub, 1, 1);
    REQUIRE(ctl.stream().next_arbitration());
    // The committed config serves and is what reads refer to; nothing waits for COMMIT.
    CHECK(ctl.set_pipeline(Set::COMMIT, std::nullopt).error_code() == StatusCode::NOT_FOUND);
    ::p4::v1::ForwardingPipelineConfig now;
    REQUIRE(ctl.get_pipeline(Get::P4INFO_AND_COOKIE, now).ok());
    CHECK(now.p4info().SerializeAsString() == committed.p4info().SerializeAsString());
    CHECK(read_table(ctl, acl).empty());
    CHECK(flowing(traffic));
    traffic.stop();
    // Without --keep this time: the pipeline goes.
    agent->stop();
    agent.emplace(switch_args(), kRun);
    agent->stop();
    CHECK_FALSE(fs::exists(kSwitchPins));
}
