// P4Runtime Write and Read against chima-agent, as a client that knows only names: ids are
// looked up in the P4Info chima-compile makes (template + the firewall function in slot 3).
// Entries change real forwarding (ping, UDP through the function); every refusal carries the
// specification's code, per update in the details of a failed batch, and changes nothing.
#include <doctest/doctest.h>

#include <filesystem>
#include <set>

#include "agent_lab.hpp"
#include "chima/units.hpp"

using namespace chima;
using namespace chima::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using grpc::StatusCode;
using Set = ::p4::v1::SetForwardingPipelineConfigRequest;
using Update = ::p4::v1::Update;

namespace {

const fs::path kRun = "/tmp/chima-agent-test";

std::string bytes_of(uint64_t v, int n) {
    std::string s(n, '\0');
    for (int i = 0; i < n; ++i)
        s[i] = static_cast<char>(v >> (8 * (n - 1 - i)));
    return s;
}

uint32_t ip(const char* text) {
    return Ipv4::parse(text)->value;
}

// Names to ids, as a P4Runtime client does it.
struct Names {
    const ::p4::config::v1::P4Info& info;
    uint32_t table(const std::string& name) const {
        for (const auto& t : info.tables())
            if (t.preamble().name() == name)
                return t.preamble().id();
        FAIL("no table " << name);
        return 0;
    }
    uint32_t field(const std::string& table_name, const std::string& field_name) const {
        for (const auto& t : info.tables())
            if (t.preamble().name() == table_name)
                for (const auto& f : t.match_fields())
                    if (f.name() == field_name)
                        return f.id();
        FAIL("no field " << field_name);
        return 0;
    }
    uint32_t action(const std::string& name) const {
        for (const auto& a : info.actions())
            if (a.preamble().name() == name)
                return a.preamble().id();
        FAIL("no action " << name);
        return 0;
    }
    uint32_t counter(const std::string& name) const {
        for (const auto& c : info.counters())
            if (c.preamble().name() == name)
                return c.preamble().id();
        FAIL("no counter " << name);
        return 0;
    }
};

class Lab {
  public:
    Lab()
        : agent_(switch_args(), kRun),
          stub_(p4runtime_stub(agent_.p4runtime_port())),
          ctl(*stub_, 1, 1) {
        REQUIRE(ctl.stream().next_arbitration());
        const char* root = std::getenv("CHIMA_ROOT");
        config = compiled_pipeline(
            {{3, std::string(root ? root : ".") + "/p4/functions/firewall.p4", ""}},
            kRun / "p4build");
        auto pushed = ctl.set_pipeline(Set::VERIFY_AND_COMMIT, config);
        REQUIRE_MESSAGE(pushed.ok(), pushed.error_message());
    }
    Names names() const { return Names{config.p4info()}; }

    Update route(Update::Type type, const char* dst, uint32_t port, std::string port_bytes = "") {
        auto n = names();
        Update u;
        u.set_type(type);
        auto* e = u.mutable_entity()->mutable_table_entry();
        e->set_table_id(n.table("ChimaIngress.forwarding"));
        auto* m = e->add_match();
        m->set_field_id(n.field("ChimaIngress.forwarding", "hdr.ipv4.dst_addr"));
        m->mutable_lpm()->set_value(bytes_of(ip(dst), 4));
        m->mutable_lpm()->set_prefix_len(32);
        if (type != Update::DELETE) {
            auto* a = e->mutable_action()->mutable_action();
            a->set_action_id(n.action("ChimaIngress.forward"));
            auto* p = a->add_params();
            p->set_param_id(1);
            p->set_value(port_bytes.empty() ? bytes_of(port, 2) : port_bytes);
        }
        return u;
    }

    // The firewall's acl: deny (or allow) packets from `src`, at `priority`.
    Update acl(Update::Type type, const char* src, int priority, const char* action = "deny") {
        auto n = names();
        const std::string table = "ChimaIngress.functions.fn_3.acl";
        Update u;
        u.set_type(type);
        auto* e = u.mutable_entity()->mutable_table_entry();
        e->set_table_id(n.table(table));
        auto* m = e->add_match();
        m->set_field_id(n.field(table, "hdr.ipv4.src_addr"));
        m->mutable_ternary()->set_value(bytes_of(ip(src), 4));
        m->mutable_ternary()->set_mask(bytes_of(0xffffffff, 4));
        e->set_priority(priority);
        if (type != Update::DELETE)
            e->mutable_action()->mutable_action()->set_action_id(
                n.action(std::string("ChimaIngress.functions.fn_3.") + action));
        return u;
    }

    std::vector<::p4::v1::Entity> read_table(uint32_t table_id) {
        ::p4::v1::Entity e;
        e.mutable_table_entry()->set_table_id(table_id);
        std::vector<::p4::v1::Entity> out;
        REQUIRE(ctl.read({e}, out).ok());
        return out;
    }

    EndpointLab endpoints;
    AgentProcess agent_;
    std::unique_ptr<::p4::v1::P4Runtime::Stub> stub_;
    Controller ctl;
    ::p4::v1::ForwardingPipelineConfig config;
};

std::vector<int> codes(const grpc::Status& s) {
    std::vector<int> out;
    for (const auto& e : write_errors(s))
        out.push_back(e.canonical_code());
    return out;
}

}  // namespace

TEST_CASE("agent: Write of the forwarding table changes real forwarding") {
    Lab lab;
    CHECK_FALSE(lab.endpoints.ping_a_to_b());
    REQUIRE(lab.ctl.write({lab.route(Update::INSERT, kIpB, 2), lab.route(Update::INSERT, kIpA, 1)})
                .ok());
    CHECK(lab.endpoints.ping_a_to_b());
    REQUIRE(lab.ctl.write({lab.route(Update::MODIFY, kIpB, 1)}).ok());  // b is not behind port 1
    CHECK_FALSE(lab.endpoints.ping_a_to_b());
    REQUIRE(lab.ctl.write({lab.route(Update::MODIFY, kIpB, 2)}).ok());
    CHECK(lab.endpoints.ping_a_to_b());
    REQUIRE(lab.ctl.write({lab.route(Update::DELETE, kIpB, 0)}).ok());
    CHECK_FALSE(lab.endpoints.ping_a_to_b());

    // Counters of the pipeline by name: port 1 received what a sent.
    ::p4::v1::Entity c;
    c.mutable_counter_entry()->set_counter_id(lab.names().counter("ChimaIngress.port_rx"));
    c.mutable_counter_entry()->mutable_index()->set_index(1);
    std::vector<::p4::v1::Entity> cells;
    REQUIRE(lab.ctl.read({c}, cells).ok());
    REQUIRE(cells.size() == 1);
    CHECK(cells[0].counter_entry().data().packet_count() >= 3);
}

TEST_CASE("agent: Write refusals carry the specification's codes and change nothing") {
    Lab lab;
    auto n = lab.names();
    uint32_t fwd = n.table("ChimaIngress.forwarding");
    REQUIRE(lab.ctl.write({lab.route(Update::INSERT, kIpB, 2)}).ok());

    auto one = [&](const Update& u) {
        auto s = lab.ctl.write({u});
        REQUIRE(s.error_code() == StatusCode::UNKNOWN);  // a batch of one
        auto c = codes(s);
        REQUIRE(c.size() == 1);
        return c[0];
    };
    CHECK(one(lab.route(Update::INSERT, kIpB, 2)) == int(StatusCode::ALREADY_EXISTS));
    CHECK(one(lab.route(Update::MODIFY, "10.77.0.99", 2)) == int(StatusCode::NOT_FOUND));
    CHECK(one(lab.route(Update::DELETE, "10.77.0.99", 2)) == int(StatusCode::NOT_FOUND));
    // A port wider than its 9 bits.
    CHECK(one(lab.route(Update::INSERT, "10.77.0.50", 0, bytes_of(0x200, 2))) ==
          int(StatusCode::OUT_OF_RANGE));
    // An unknown action id.
    auto bad_action = lab.route(Update::INSERT, "10.77.0.51", 2);
    bad_action.mutable_entity()
        ->mutable_table_entry()
        ->mutable_action()
        ->mutable_action()
        ->set_action_id(0x01ffffff);
    CHECK(one(bad_action) == int(StatusCode::INVALID_ARGUMENT));
    // A ternary table without a priority.
    CHECK(one(lab.acl(Update::INSERT, kIpA, 0)) == int(StatusCode::INVALID_ARGUMENT));
    // Update type UNSPECIFIED.
    auto unspecified = lab.route(Update::INSERT, "10.77.0.52", 2);
    unspecified.set_type(Update::UNSPECIFIED);
    CHECK(one(unspecified) == int(StatusCode::INVALID_ARGUMENT));
    // An unknown table id.
    auto unknown_table = lab.route(Update::INSERT, "10.77.0.53", 2);
    unknown_table.mutable_entity()->mutable_table_entry()->set_table_id(0x02abcdef);
    CHECK(one(unknown_table) != int(StatusCode::OK));

    // Nothing of that went in: the one entry is still the only one, unchanged.
    auto entries = lab.read_table(fwd);
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].table_entry().action().action().params(0).value() == std::string("\x02", 1));
}

TEST_CASE("agent: a failed batch reports every update, and ROLLBACK_ON_ERROR undoes it") {
    Lab lab;
    uint32_t fwd = lab.names().table("ChimaIngress.forwarding");
    REQUIRE(lab.ctl.write({lab.route(Update::INSERT, "10.77.1.1", 2)}).ok());

    // CONTINUE_ON_ERROR: every update is tried.
    auto s = lab.ctl.write({lab.route(Update::INSERT, "10.77.1.2", 2),
                            lab.route(Update::INSERT, "10.77.1.1", 2),
                            lab.route(Update::INSERT, "10.77.1.3", 2)});
    CHECK(s.error_code() == StatusCode::UNKNOWN);
    CHECK(codes(s) == std::vector<int>{0, int(StatusCode::ALREADY_EXISTS), 0});
    CHECK(lab.read_table(fwd).size() == 3);

    // ROLLBACK_ON_ERROR: all or nothing.
    s = lab.ctl.write(
        {lab.route(Update::INSERT, "10.77.1.4", 2), lab.route(Update::DELETE, "10.77.1.2", 2),
         lab.route(Update::INSERT, "10.77.1.1", 2)},
        ::p4::v1::WriteRequest::ROLLBACK_ON_ERROR);
    CHECK(s.error_code() == StatusCode::UNKNOWN);
    auto c = codes(s);
    REQUIRE(c.size() == 3);
    CHECK(c[2] == int(StatusCode::ALREADY_EXISTS));
    CHECK(c[0] != 0);  // undone
    CHECK(c[1] != 0);
    auto entries = lab.read_table(fwd);
    CHECK(entries.size() == 3);  // 10.77.1.4 is not there, 10.77.1.2 still is
    std::set<std::string> dsts;
    for (const auto& e : entries)
        dsts.insert(e.table_entry().match(0).lpm().value());
    CHECK(dsts.count(bytes_of(ip("10.77.1.2"), 4)) == 1);
    CHECK(dsts.count(bytes_of(ip("10.77.1.4"), 4)) == 0);

    // DATAPLANE_ATOMIC is refused as a whole.
    CHECK(lab.ctl
              .write({lab.route(Update::INSERT, "10.77.1.5", 2)},
                     ::p4::v1::WriteRequest::DATAPLANE_ATOMIC)
              .error_code() == StatusCode::UNIMPLEMENTED);
}

TEST_CASE("agent: Read wildcards return what was written, in canonical form") {
    Lab lab;
    auto n = lab.names();
    // A non-canonical port (two bytes) reads back as one byte.
    REQUIRE(lab.ctl
                .write({lab.route(Update::INSERT, kIpB, 2), lab.route(Update::INSERT, kIpA, 1),
                        lab.acl(Update::INSERT, "10.9.9.9", 7)})
                .ok());
    ::p4::v1::Entity all;
    all.mutable_table_entry();  // table_id 0: every table
    std::vector<::p4::v1::Entity> out;
    REQUIRE(lab.ctl.read({all}, out).ok());
    int fwd = 0, acl = 0;
    for (const auto& e : out) {
        if (e.table_entry().table_id() == n.table("ChimaIngress.forwarding")) {
            ++fwd;
            CHECK(e.table_entry().action().action().params(0).value().size() == 1);
        }
        if (e.table_entry().table_id() == n.table("ChimaIngress.functions.fn_3.acl")) {
            ++acl;
            CHECK(e.table_entry().priority() == 7);
        }
    }
    CHECK(fwd == 2);
    CHECK(acl == 1);
    // One entry by its match.
    ::p4::v1::Entity one;
    *one.mutable_table_entry() = lab.route(Update::DELETE, kIpA, 0).entity().table_entry();
    out.clear();
    REQUIRE(lab.ctl.read({one}, out).ok());
    REQUIRE(out.size() == 1);
    CHECK(out[0].table_entry().action().action().params(0).value() == std::string("\x01", 1));
}

TEST_CASE("agent: a function's table entry decides real packets") {
    Lab lab;
    LabelledFlow flow(lab.endpoints, 3);  // a -> b through the firewall in slot 3
    UdpStream traffic(lab.endpoints, 5003, 2000);
    REQUIRE(eventually([&] { return traffic.received() > 200; }));

    REQUIRE(lab.ctl.write({lab.acl(Update::INSERT, kIpA, 10)}).ok());  // deny from a
    std::this_thread::sleep_for(200ms);
    uint64_t frozen = traffic.received();
    std::this_thread::sleep_for(300ms);
    CHECK(traffic.received() == frozen);  // nothing gets through

    // The same match at another priority would share the deny's map key: refused as
    // something the eBPF switch cannot realise.
    auto same_match = lab.ctl.write({lab.acl(Update::INSERT, kIpA, 20, "allow")});
    CHECK(codes(same_match) == std::vector<int>{int(StatusCode::UNIMPLEMENTED)});
    // A wider allow at a higher priority wins over the deny.
    auto allow = lab.acl(Update::INSERT, "10.77.0.0", 20, "allow");
    allow.mutable_entity()->mutable_table_entry()->mutable_match(0)->mutable_ternary()->set_mask(
        bytes_of(0xffffff00, 4));
    REQUIRE(lab.ctl.write({allow}).ok());
    CHECK(eventually([&] { return traffic.received() > frozen + 200; }));
    // Without it the deny decides again; without both, everything passes.
    auto remove_allow = allow;
    remove_allow.set_type(Update::DELETE);
    REQUIRE(lab.ctl.write({remove_allow}).ok());
    std::this_thread::sleep_for(200ms);
    frozen = traffic.received();
    std::this_thread::sleep_for(300ms);
    CHECK(traffic.received() == frozen);
    REQUIRE(lab.ctl.write({lab.acl(Update::DELETE, kIpA, 10)}).ok());
    CHECK(eventually([&] { return traffic.received() > frozen + 200; }));
    traffic.stop();
}
