// The P4Runtime SwitchDevice (remote::open_p4runtime_switch) against a real chima-agent,
// driven only through the device interface: each operation has the eBPF device's effect
// on real packets, counters and the agent's P4Runtime state (read back over P4Runtime by a
// client that knows only the template's names). Arbitration, errors and timeouts name the
// switch and its address.
#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>

#include "agent_lab.hpp"
#include "skip.hpp"
#include "test_pki.hpp"
#include "chima/p4/checker.hpp"
#include "chima/p4/compiler.hpp"
#include "chima/p4/p4runtime_info.hpp"
#include "chima/remote/p4runtime_function_info.hpp"
#include "chima/remote/p4runtime_switch.hpp"
#include "chima/int.h"
#include "chima/switch.h"
#include "chima/units.hpp"

using namespace chima;
using namespace chima::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const fs::path kRun = "/tmp/chima-agent-test";

Ipv4 ip(const char* text) {
    return *Ipv4::parse(text);
}

std::string function_file(const std::string& name) {
    const char* root = std::getenv("CHIMA_ROOT");
    return std::string(root ? root : ".") + "/p4/functions/" + name;
}

// A function as chima-install hands it to a switch: compiled object and chima-p4info-1.
device::FunctionLoad compiled(const std::string& name,
                              std::vector<chima::p4::EntrySpec> entries = {}) {
    chima::p4::CompileOptions o;
    o.build_dir = kRun / "p4build";
    auto c = chima::p4::compile_function(function_file(name), "", o);
    return {c.object_path.string(), "", c.p4info, true, std::move(entries)};
}

// The firewall's acl entry denying packets from `src`.
chima::p4::EntrySpec deny_from(const char* src) {
    chima::p4::EntrySpec e;
    e.table = "acl";
    e.action = "deny";
    e.priority = 10;
    e.keys.resize(5);
    for (auto& k : e.keys)
        k.wildcard = true;
    e.keys[0] = {ip(src).value, 0xffffffff, -1, false};
    return e;
}

remote::SwitchEndpoint endpoint(uint16_t port, uint64_t election = 1) {
    remote::SwitchEndpoint e;
    e.address = "127.0.0.1:" + std::to_string(port);
    e.election_id_low = election;
    e.timeout = 3000ms;
    e.template_p4info = remote::p4info_to_json(template_p4info());
    return e;
}

// Reads over P4Runtime as any client may (no stream, no election id), by table name.
class Observer {
  public:
    explicit Observer(uint16_t port) : stub_(p4runtime_stub(port)) {}
    std::vector<::p4::v1::TableEntry> table(const std::string& name) {
        ::p4::config::v1::P4Info info = pipeline_info();
        ::p4::v1::ReadRequest r;
        r.set_device_id(1);
        auto* e = r.add_entities()->mutable_table_entry();
        for (const auto& t : info.tables())
            if (t.preamble().name() == name)
                e->set_table_id(t.preamble().id());
        REQUIRE_MESSAGE(e->table_id() != 0, "no table " << name);
        grpc::ClientContext c;
        auto reader = stub_->Read(&c, r);
        std::vector<::p4::v1::TableEntry> out;
        ::p4::v1::ReadResponse resp;
        while (reader->Read(&resp))
            for (const auto& x : resp.entities())
                out.push_back(x.table_entry());
        auto s = reader->Finish();
        REQUIRE_MESSAGE(s.ok(), s.error_message());
        return out;
    }
    // The values of an entry's action params, in order.
    static std::vector<uint64_t> params(const ::p4::v1::TableEntry& e) {
        std::vector<uint64_t> out;
        for (const auto& p : e.action().action().params()) {
            uint64_t v = 0;
            for (unsigned char ch : p.value())
                v = (v << 8) | ch;
            out.push_back(v);
        }
        return out;
    }
    ::p4::config::v1::P4Info pipeline_info() {
        ::p4::v1::GetForwardingPipelineConfigRequest r;
        r.set_device_id(1);
        r.set_response_type(::p4::v1::GetForwardingPipelineConfigRequest::P4INFO_AND_COOKIE);
        ::p4::v1::GetForwardingPipelineConfigResponse resp;
        grpc::ClientContext c;
        REQUIRE(stub_->GetForwardingPipelineConfig(&c, r, &resp).ok());
        return resp.config().p4info();
    }

  private:
    std::unique_ptr<::p4::v1::P4Runtime::Stub> stub_;
};

// Whether nothing of `traffic` gets through for a while.
bool blocked(const UdpStream& traffic) {
    std::this_thread::sleep_for(200ms);
    uint64_t frozen = traffic.received();
    std::this_thread::sleep_for(300ms);
    return traffic.received() == frozen;
}

}  // namespace

TEST_CASE(
    "p4runtime client: routes forward real traffic, counters match it, deletes are idempotent") {
    EndpointLab lab;
    AgentProcess agent(switch_args(), kRun);
    auto sw = remote::open_p4runtime_switch("s1", endpoint(agent.p4runtime_port()));
    CHECK(sw->name() == "s1");
    CHECK_FALSE(lab.ping_a_to_b());

    sw->set_prefix_route(ip(kIpB), 32, 2);
    sw->set_prefix_route(ip(kIpA), 32, 1);
    CHECK(lab.ping_a_to_b());
    sw->set_prefix_route(ip(kIpB), 32, 1);  // set replaces: b is not behind port 1
    CHECK_FALSE(lab.ping_a_to_b());
    sw->set_prefix_route(ip("10.77.0.0"), 24, 2);  // a wider prefix, the /32 still wins
    CHECK_FALSE(lab.ping_a_to_b());
    sw->delete_prefix_route(ip(kIpB), 32);
    CHECK(lab.ping_a_to_b());               // now the /24 decides
    sw->delete_prefix_route(ip(kIpB), 32);  // idempotent
    sw->delete_mac_route(*Mac::parse("02:00:00:00:00:99"));

    // Counters through the client match what was sent: rx on port 1, tx on port 2.
    auto rx0 = sw->port_counters(1), tx0 = sw->port_counters(2);
    UdpStream traffic(lab, 5101, 1000);
    REQUIRE(eventually([&] { return traffic.received() > 300; }));
    auto [sent, received] = traffic.stop();
    auto rx1 = sw->port_counters(1), tx1 = sw->port_counters(2);
    INFO("sent " << sent << " received " << received);
    CHECK(rx1.rx_packets - rx0.rx_packets >= sent);
    CHECK(rx1.rx_packets - rx0.rx_packets <= sent + 20);  // + the odd ARP or IPv6 chatter
    CHECK(tx1.tx_packets - tx0.tx_packets >= received);
    CHECK(tx1.tx_packets - tx0.tx_packets <= received + 20);
    CHECK(rx1.rx_bytes - rx0.rx_bytes >= sent * (14 + 20 + 8 + 8));

    // Without a route the traffic is dropped and counted under its reason.
    sw->delete_prefix_route(ip("10.77.0.0"), 24);
    auto drops0 = sw->drop_counters();
    REQUIRE(drops0.count("no_route"));
    CHECK(drops0.size() == CHIMA_DROP_REASON_COUNT);
    UdpStream dropped(lab, 5102, 1000);
    std::this_thread::sleep_for(500ms);
    auto [dsent, dreceived] = dropped.stop();
    CHECK(dreceived == 0);
    auto drops1 = sw->drop_counters();
    CHECK(drops1["no_route"] - drops0["no_route"] >= dsent);
    CHECK(drops1["no_route"] - drops0["no_route"] <= dsent + 20);
}

TEST_CASE(
    "p4runtime client: INT settings are the template's table entries, read back over P4Runtime") {
    EndpointLab lab;
    AgentProcess agent(switch_args(), kRun);
    auto sw = remote::open_p4runtime_switch("s1", endpoint(agent.p4runtime_port()));
    Observer observe(agent.p4runtime_port());

    sw->watch_flow(ip(kIpA), ip(kIpB));
    sw->watch_flow(ip(kIpA), ip(kIpB));  // twice: still one watch
    sw->watch_flow(ip(kIpB), ip(kIpA));
    CHECK(observe.table("ChimaIngress.int_source").size() == 2);
    sw->unwatch_flow(ip(kIpB), ip(kIpA));
    sw->unwatch_flow(ip(kIpB), ip(kIpA));  // idempotent
    auto watched = observe.table("ChimaIngress.int_source");
    REQUIRE(watched.size() == 1);
    CHECK(watched[0].match(0).exact().value() == std::string("\x0a\x4d\x00\x01", 4));

    sw->set_int_switch_id(7);
    sw->set_int_initial_hops(3);
    sw->set_int_switch_id(9);  // the hops stay
    auto config = observe.table("ChimaIngress.switch_config");
    REQUIRE(config.size() == 1);
    CHECK(Observer::params(config[0]) == std::vector<uint64_t>{9, 3});

    sw->set_int_sink_port(2, true);
    sw->set_int_sink_port(2, true);
    sw->set_int_sink_port(1, true);
    sw->set_int_sink_port(1, false);
    sw->set_int_sink_port(1, false);
    auto sinks = observe.table("ChimaEgress.int_sink_ports");
    REQUIRE(sinks.size() == 1);
    CHECK(sinks[0].match(0).exact().value() == std::string("\x02", 1));

    device::IntReportTarget report;
    report.port = 1;
    report.collector = ip("10.77.0.9");
    report.collector_mac = *Mac::parse("02:00:00:00:00:09");
    report.source = ip("10.77.0.254");
    report.collector_udp_port = 4000;
    sw->set_int_report(report);
    report.collector_udp_port = 0;  // the Telemetry Report default
    report.port = 2;
    sw->set_int_report(report);  // replaces
    auto reports = observe.table("ChimaEgress.int_report");
    REQUIRE(reports.size() == 1);
    auto p = Observer::params(reports[0]);
    REQUIRE(p.size() == 7);
    CHECK(p[1] == report.collector_mac.value);
    CHECK(p[2] == report.source.value);
    CHECK(p[3] == report.collector.value);
    CHECK(p[5] == CHIMA_INT_REPORT_UDP_PORT);
    CHECK(p[6] == 2);
    sw->clear_int_report();
    sw->clear_int_report();
    CHECK(observe.table("ChimaEgress.int_report").empty());
}

TEST_CASE("p4runtime client: a function's entries decide its first packet, clear_slot drops") {
    EndpointLab lab;
    AgentProcess agent(switch_args(), kRun);
    auto sw = remote::open_p4runtime_switch("s1", endpoint(agent.p4runtime_port()));
    Observer observe(agent.p4runtime_port());
    LabelledFlow flow(lab, 3);  // a -> b through slot 3
    CHECK(sw->slot_function(3) == 0);

    // Traffic runs into the empty slot (dropped); the firewall arrives with a deny for a
    // already written: not one packet may pass in between.
    UdpStream traffic(lab, 5103, 2000);
    std::this_thread::sleep_for(200ms);
    auto drops0 = sw->drop_counters();
    CHECK(drops0["empty_slot"] > 0);
    sw->load_function(3, compiled("firewall.p4", {deny_from(kIpA)}));
    uint32_t denying = sw->slot_function(3);
    CHECK(denying != 0);
    CHECK(blocked(traffic));
    CHECK(traffic.received() == 0);
    CHECK(sw->drop_counters()["function_drop"] > drops0["function_drop"]);
    // The entry is the agent's too: a Read returns it.
    auto acl = observe.table("ChimaIngress.functions.fn_3.acl");
    REQUIRE(acl.size() == 1);
    CHECK(acl[0].priority() == 10);
    CHECK_FALSE(acl[0].is_const());

    // The same function without the entry is another function: the slot swaps, a passes.
    sw->load_function(3, compiled("firewall.p4"));
    CHECK(sw->slot_function(3) != denying);
    CHECK(sw->slot_function(3) != 0);
    CHECK(eventually([&] { return traffic.received() > 300; }));
    CHECK(observe.table("ChimaIngress.functions.fn_3.acl").empty());

    sw->clear_slot(3);
    CHECK(sw->slot_function(3) == 0);
    CHECK(blocked(traffic));
    sw->clear_slot(3);  // idempotent
    traffic.stop();
}

TEST_CASE(
    "p4runtime client: loading a function into one slot loses no packet of another (RECONCILE)") {
    EndpointLab lab;
    AgentProcess agent(switch_args(), kRun);
    auto sw = remote::open_p4runtime_switch("s1", endpoint(agent.p4runtime_port()));
    Observer observe(agent.p4runtime_port());
    sw->load_function(3, compiled("firewall.p4"));
    sw->set_prefix_route(ip("10.99.0.0"), 16, 2);  // forwarding state that must survive
    uint32_t three = sw->slot_function(3);
    LabelledFlow flow(lab, 3);
    UdpStream traffic(lab, 5104, 5000);
    REQUIRE(eventually([&] { return traffic.received() > 500; }));

    sw->load_function(4, compiled("decrement_ttl.p4"));
    std::this_thread::sleep_for(200ms);
    sw->load_function(5, compiled("firewall.p4", {deny_from(kIpA)}));
    std::this_thread::sleep_for(200ms);
    sw->clear_slot(4);
    std::this_thread::sleep_for(300ms);
    auto [sent, received] = traffic.stop();
    INFO("sent " << sent << ", received " << received);
    CHECK(sent > 2000);
    CHECK(received == sent);
    CHECK(sw->slot_function(3) == three);
    CHECK(sw->slot_function(4) == 0);
    CHECK(sw->slot_function(5) != 0);
    CHECK(observe.table("ChimaIngress.forwarding").size() == 1);
    CHECK(observe.table("ChimaIngress.functions.fn_5.acl").size() == 1);
}

TEST_CASE("p4runtime client: a lower election id is not primary, refusals name the switch") {
    EndpointLab lab;
    AgentProcess agent(switch_args(), kRun);
    const std::string address = "127.0.0.1:" + std::to_string(agent.p4runtime_port());
    auto primary = remote::open_p4runtime_switch("s1", endpoint(agent.p4runtime_port(), 10));
    try {
        remote::open_p4runtime_switch("s1", endpoint(agent.p4runtime_port(), 5));
        FAIL("a second client with a lower election id became primary");
    } catch (const remote::NotPrimaryError& e) {
        std::string m = e.what();
        INFO(m);
        CHECK(m.find("switch s1 (" + address + "): not primary") != std::string::npos);
        CHECK(m.find("election id 10") != std::string::npos);
        CHECK(static_cast<int>(e.code()) == 1);  // the tool exits 1
    }
    // The primary still writes.
    primary->set_prefix_route(ip(kIpB), 32, 2);
    // A port the switch does not have: refused by the agent, named.
    try {
        primary->set_prefix_route(ip(kIpB), 32, 300);
        FAIL("port 300 was accepted");
    } catch (const RuntimeError& e) {
        std::string m = e.what();
        INFO(m);
        CHECK(m.find("switch s1 (" + address + "): Write") != std::string::npos);
        CHECK((m.find("INVALID_ARGUMENT") != std::string::npos ||
               m.find("OUT_OF_RANGE") != std::string::npos));
    }
    // The primary role ends with the client: a lower id may then take it.
    primary.reset();
    CHECK_NOTHROW(remote::open_p4runtime_switch("s1", endpoint(agent.p4runtime_port(), 11)));
}

TEST_CASE(
    "p4runtime client: a dead or silent switch fails within the timeout, naming its address") {
    EndpointLab lab;
    std::string address;
    std::unique_ptr<device::SwitchDevice> sw;
    auto ep = [&](uint16_t port) {
        auto e = endpoint(port);
        e.timeout = 1000ms;
        return e;
    };
    {
        AgentProcess agent(switch_args(), kRun);
        address = "127.0.0.1:" + std::to_string(agent.p4runtime_port());
        sw = remote::open_p4runtime_switch("s1", ep(agent.p4runtime_port()));
        sw->set_prefix_route(ip(kIpB), 32, 2);
        agent.stop();
    }
    auto started = std::chrono::steady_clock::now();
    try {
        sw->set_prefix_route(ip(kIpB), 32, 1);
        FAIL("a write to a stopped agent succeeded");
    } catch (const RuntimeError& e) {
        INFO(e.what());
        CHECK(std::string(e.what()).find("switch s1 (" + address + ")") != std::string::npos);
        CHECK(std::string(e.what()).find("UNAVAILABLE") != std::string::npos);
    }
    CHECK(std::chrono::steady_clock::now() - started < 3s);
    sw.reset();  // closing the broken stream does not hang

    // A port that accepts TCP and never speaks HTTP/2: the timeout ends the wait.
    int silent = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(silent >= 0);
    sockaddr_in at{};
    at.sin_family = AF_INET;
    at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(silent, reinterpret_cast<sockaddr*>(&at), sizeof at) == 0);
    REQUIRE(listen(silent, 4) == 0);
    socklen_t len = sizeof at;
    getsockname(silent, reinterpret_cast<sockaddr*>(&at), &len);
    uint16_t port = ntohs(at.sin_port);
    started = std::chrono::steady_clock::now();
    try {
        remote::open_p4runtime_switch("s2", ep(port));
        FAIL("a silent port became a switch");
    } catch (const RuntimeError& e) {
        INFO(e.what());
        CHECK(std::string(e.what()).find("switch s2 (127.0.0.1:" + std::to_string(port) + ")") !=
              std::string::npos);
    }
    auto took = std::chrono::steady_clock::now() - started;
    CHECK(took >= 900ms);
    CHECK(took < 4s);
    close(silent);
}

TEST_CASE(
    "p4runtime client: a function's P4Runtime info from its chima-p4info equals the generator's") {
    for (const char* name : {"firewall.p4", "decrement_ttl.p4", "dscp_marker.p4", "flow_counter.p4",
                             "port_rewriter.p4", "rate_limiter.p4", "changettl.p4"}) {
        INFO(name);
        auto load = compiled(name);
        for (uint32_t slot : {3u, 17u}) {
            auto derived = chima::p4::p4runtime_info(remote::function_entities(load.p4info, slot));
            auto generated = chima::p4::p4runtime_info(
                chima::p4::check_function_file(function_file(name), ""), slot);
            CHECK(derived == generated);
            if (derived != generated)
                MESSAGE(derived.dump(1) << "\n----\n" << generated.dump(1));
        }
    }
}

TEST_CASE("p4runtime client: mutual TLS with the given files, refused with a stranger's") {
    TestPki pki;
    if (skip_without_dependency(pki.ok, "the openssl command"))
        return;
    EndpointLab lab;
    AgentProcess agent(switch_args({"--tls-cert", pki.file("server.pem"), "--tls-key",
                                    pki.file("server.key"), "--tls-ca", pki.file("ca.pem")}),
                       kRun);
    auto ep = endpoint(agent.p4runtime_port());
    ep.tls = remote::P4RuntimeTlsFiles{pki.file("client.pem"), pki.file("client.key"),
                                       pki.file("ca.pem")};
    auto sw = remote::open_p4runtime_switch("s1", ep);
    sw->set_prefix_route(ip(kIpB), 32, 2);
    sw->set_prefix_route(ip(kIpA), 32, 1);
    CHECK(lab.ping_a_to_b());

    ep.tls = remote::P4RuntimeTlsFiles{pki.file("stranger.pem"), pki.file("stranger.key"),
                                       pki.file("ca.pem")};
    ep.election_id_low = 2;
    CHECK_THROWS_WITH_AS(remote::open_p4runtime_switch("s1", ep),
                         doctest::Contains("switch s1 (127.0.0.1:"), RuntimeError);
    ep.tls.reset();  // plaintext to a TLS listener
    CHECK_THROWS_AS(remote::open_p4runtime_switch("s1", ep), RuntimeError);
}
