// Where devices are (issue: the tools drive a network of machines): a switch's P4Runtime
// address and device id and a host's or endpoint's agent are read from topology.yaml, kept
// through deployment.json, and checked there as in the YAML.
#include <doctest/doctest.h>

#include "chima/host_port.hpp"
#include "chima/model/deployment.hpp"
#include "chima/model/topology.hpp"

using namespace chima;

namespace {

const char* kTopology = R"(kind: chima.topology
switches:
  - {name: s0}
  - {name: s1, address: "s1.lab.example:9559", device_id: 7}
  - {name: s2, target: p4runtime, address: "[fd00::2]:9559"}
hosts:
  - {name: h1, ip: 10.0.0.1, switch: s1, agent: "10.1.0.1:9560"}
client: {ip: 10.0.0.200, switch: s0, agent: "127.0.0.1:9561"}
links:
  - {a: s0, b: s1}
  - {a: s1, b: s2}
)";

}  // namespace

TEST_CASE("topology: device addresses are read, defaulted and kept through deployment.json") {
    Topology t = parse_topology(kTopology, "t.yaml");
    CHECK(t.find_switch("s0")->address.empty());
    CHECK(t.find_switch("s1")->address == "s1.lab.example:9559");
    CHECK(t.find_switch("s1")->device_id == 7);
    CHECK(t.find_switch("s2")->device_id == 1);
    CHECK(t.find_host("h1")->agent == "10.1.0.1:9560");
    CHECK(t.client.agent == "127.0.0.1:9561");

    Topology back = topology_from_json(topology_to_json(t), "deployment.json");
    CHECK(back.find_switch("s1")->address == "s1.lab.example:9559");
    CHECK(back.find_switch("s1")->device_id == 7);
    CHECK(back.find_switch("s2")->target == SwitchTarget::P4Runtime);
    CHECK(back.find_host("h1")->agent == "10.1.0.1:9560");
    CHECK(back.client.agent == "127.0.0.1:9561");

    // deployment.json is checked as the YAML is, at its JSON path.
    auto j = topology_to_json(t);
    j["hosts"][0]["agent"] = "10.1.0.1";
    try {
        topology_from_json(j, "deployment.json");
        FAIL("accepted an agent without a port");
    } catch (const InputError& e) {
        CHECK(std::string(e.what()).find("/hosts/0/agent") != std::string::npos);
        CHECK(std::string(e.what()).find("no port") != std::string::npos);
    }
}

TEST_CASE("host_port: HOST:PORT and bracketed IPv6, and what is wrong otherwise") {
    auto a = parse_host_port("switch-1.example:9559");
    REQUIRE(a);
    CHECK(a->host == "switch-1.example");
    CHECK(a->port == 9559);
    auto b = parse_host_port("[fd00::1]:50051");
    REQUIRE(b);
    CHECK(b->host == "fd00::1");
    CHECK(b->str() == "[fd00::1]:50051");
    std::string problem;
    for (const char* bad : {"", "host", "host:", ":9559", "host:0", "host:65536", "host:95x9",
                            "fd00::1:9559", "[fd00::1]", "[zz::1]:1", "a b:1", "host..x:1"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_host_port(bad, &problem));
        CHECK_FALSE(problem.empty());
    }
}
