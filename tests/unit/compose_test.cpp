// chima-compose's library: stacks, sections, placement, round-trips, legacy import.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "chima/compose/compose.hpp"
#include "chima/model/legacy.hpp"
#include "chima/state_file.hpp"

using namespace chima;

namespace {

std::string root() {
    const char* r = std::getenv("CHIMA_ROOT");
    return r ? r : CHIMA_DEFAULT_ROOT;
}

std::string example(const std::string& scenario, const std::string& file) {
    return root() + "/examples/" + scenario + "/" + file;
}

Deployment compose_example(const std::string& scenario, bool with_placement) {
    ComposeInput in;
    in.topology = load_topology(example(scenario, "topology.yaml"));
    in.service = load_service(example(scenario, "service.yaml"));
    if (with_placement)
        in.placement = load_placement(example(scenario, "placement.yaml"));
    return compose(in);
}

std::vector<std::string> stack_text(const Flow& f) {
    std::vector<std::string> out;
    for (const auto& s : f.stack.segments())
        out.push_back(s.str());
    return out;
}

const Flow& flow(const Deployment& d, const std::string& src, const std::string& dst) {
    for (const auto& f : d.flows)
        if (f.src == src && f.dst == dst)
            return f;
    FAIL("no flow " << src << " -> " << dst);
    throw;
}

using Stack = std::vector<std::string>;

}  // namespace

TEST_CASE("compose minimal: label stacks equal the hand-checked expectation") {
    Deployment d = compose_example("minimal", true);
    // Ports as in the prototype: s0 {1 client, 2 s1, 3 s2}; sK {1 parent, 2 dK, 3 child}.
    // changettl runs in slot 1 of s1, changettl2 in slot 1 of s3; toupper is container 1,
    // echo container 2.
    CHECK(stack_text(flow(d, "client", "toupper")) ==
          Stack{"adjacency:2", "function:1", "int-to-host", "adjacency:2"});
    CHECK(stack_text(flow(d, "toupper", "client")) ==
          Stack{"function-end:1", "function:1", "adjacency:1", "adjacency:1"});
    CHECK(stack_text(flow(d, "toupper", "echo")) ==
          Stack{"function-end:1", "adjacency:3", "function:1", "int-to-host", "adjacency:2"});
    CHECK(stack_text(flow(d, "echo", "toupper")) ==
          Stack{"function-end:2", "function:1", "adjacency:1", "int-to-host", "adjacency:2"});
    CHECK(flow(d, "client", "toupper").pusher == "client");
    CHECK(flow(d, "toupper", "echo").pusher == "d1");
    CHECK(flow(d, "echo", "toupper").pusher == "d3");
    CHECK(flow(d, "toupper", "echo").path == std::vector<std::string>{"s1", "s3"});
    // Service addresses in chain order from 10.0.0.2, as the prototype.
    CHECK(d.find_function("minimal", "toupper")->ip.str() == "10.0.0.2");
    CHECK(d.find_function("minimal", "echo")->ip.str() == "10.0.0.3");
    // The wire encoding of the first stack: label 0x80002, S only on the last entry.
    auto bytes = flow(d, "client", "toupper").stack.encode(64);
    REQUIRE(bytes.size() == 16);
    CHECK(bytes[0] == 0x80);
    CHECK(bytes[2] == 0x20);
    CHECK(bytes[14] == 0x21);  // 0x80002 << 12 | S
}

TEST_CASE("compose minimal: INT sections sum the right segments") {
    Deployment d = compose_example("minimal", true);
    REQUIRE(d.sections.size() == 2);
    const Section& toupper = d.sections[0];
    CHECK(toupper.name == "toupper");
    CHECK(toupper.sla.latency == 5'000'000);
    std::vector<std::string> keys;
    for (const auto& s : toupper.segments)
        keys.push_back(s.key());
    CHECK(keys == std::vector<std::string>{"s0-s1", "fn:toupper"});
    const Section& e2e = d.sections[1];
    CHECK(e2e.name == "end-to-end");
    keys.clear();
    for (const auto& s : e2e.segments)
        keys.push_back(s.key());
    CHECK(keys == std::vector<std::string>{"s0-s1", "fn:toupper", "s1-s3", "fn:echo"});
    CHECK(e2e.segments[0].a_id == 1);
    CHECK(e2e.segments[0].b_id == 2);
}

namespace {

// Follows the forwarding entries for `target` from switch `from`, port by port, over the
// topology's links; true when they end at the port where `target` is attached.
bool forwarding_reaches(const Deployment& d, const std::string& from, const NetEndpoint& target) {
    std::string at = from;
    for (size_t hops = 0; hops <= d.topology.switches.size(); ++hops) {
        auto entries = d.forwarding_entries(at);
        auto entry = std::find_if(entries.begin(), entries.end(), [&](const ForwardingEntry& e) {
            return e.target == target.name;
        });
        if (entry == entries.end())
            return false;
        if (at == target.sw && entry->port == target.port)
            return true;
        auto link =
            std::find_if(d.topology.links.begin(), d.topology.links.end(), [&](const Link& l) {
                return (l.a == at && l.a_port == entry->port) ||
                       (l.b == at && l.b_port == entry->port);
            });
        if (link == d.topology.links.end())
            return false;  // a port that is neither the target's nor a link to a switch
        at = link->a == at && link->a_port == entry->port ? link->b : link->a;
    }
    return false;  // a loop
}

}  // namespace

TEST_CASE("compose: forwarding reaches every endpoint from every switch") {
    for (const char* scenario : {"minimal", "medium", "mesh"}) {
        CAPTURE(scenario);
        Deployment d = compose_example(scenario, true);
        REQUIRE_FALSE(d.endpoints.empty());
        for (const auto& sw : d.topology.switches) {
            CAPTURE(sw.name);
            // One entry per endpoint, and following them hop by hop ends at the endpoint.
            CHECK(d.forwarding_entries(sw.name).size() == d.endpoints.size());
            for (const auto& target : d.endpoints) {
                CAPTURE(target.name);
                CHECK(forwarding_reaches(d, sw.name, target));
            }
        }
    }
    // On minimal's s0: the client's port, and the rail of each host (s1 odd, s2 even).
    Deployment d = compose_example("minimal", true);
    auto at_s0 = d.forwarding_entries("s0");
    CHECK(at_s0.size() == 7);  // client, 4 hosts, 2 container functions
    for (const auto& e : at_s0) {
        if (e.target == "d3")
            CHECK(e.port == 2);  // towards s1
        if (e.target == "d4")
            CHECK(e.port == 3);  // towards s2
        if (e.target == "client")
            CHECK(e.port == 1);
        if (e.target == "minimal/echo")
            CHECK(e.port == 2);
    }
}

TEST_CASE("compose: every scenario composes with and without a placement") {
    for (const char* s : {"minimal", "medium", "large", "mesh", "datacenter", "unbalanced"}) {
        CAPTURE(s);
        Deployment given = compose_example(s, true);
        Deployment computed = compose_example(s, false);
        CHECK(!given.flows.empty());
        CHECK(!computed.flows.empty());
        CHECK(computed.functions.size() == given.functions.size());
        for (const auto& f : computed.flows)
            CHECK(f.stack.size() <= 8);
        // Deterministic: the same input gives the same deployment.
        CHECK(compose_example(s, false).id == computed.id);
    }
}

TEST_CASE("compose: the computed placement minimises nominal latency within capacity") {
    Deployment d = compose_example("datacenter", false);
    // The client is on s1 and every leaf is two 1 ms hops away: the best chain crosses two
    // links to its first container and none to the second (both on one host).
    CHECK(flow(d, "client", "toupper").path.size() == 3);
    CHECK(flow(d, "toupper", "echo").path.size() == 1);
    CHECK(d.find_function("datacenter", "toupper")->node ==
          d.find_function("datacenter", "echo")->node);

    // With capacity 1 per host, the two containers must be on different hosts.
    ComposeInput in;
    in.topology = load_topology(example("datacenter", "topology.yaml"));
    for (auto& h : in.topology.hosts)
        h.capacity = 1;
    in.service = load_service(example("datacenter", "service.yaml"));
    Deployment tight = compose(in);
    CHECK(tight.find_function("datacenter", "toupper")->node !=
          tight.find_function("datacenter", "echo")->node);
}

TEST_CASE("compose: a degraded link moves the chain to the other rail") {
    ComposeInput in;
    in.topology = load_topology(example("minimal", "topology.yaml"));
    in.service = load_service(example("minimal", "service.yaml"));
    in.degraded[{"s0", "s1"}] = 50'000'000;
    in.degraded[{"s1", "s0"}] = 50'000'000;
    Deployment d = compose(in);
    REQUIRE_FALSE(d.flows.empty());
    for (const auto& f : d.flows) {
        for (size_t i = 0; i + 1 < f.path.size(); ++i) {
            CHECK_FALSE(((f.path[i] == "s0" && f.path[i + 1] == "s1") ||
                         (f.path[i] == "s1" && f.path[i + 1] == "s0")));
        }
    }
}

TEST_CASE("deployment JSON round-trips") {
    for (const char* s : {"minimal", "large", "mesh", "datacenter"}) {
        CAPTURE(s);
        Deployment d = compose_example(s, true);
        auto j = to_json(d);
        Deployment back = deployment_from_json(j, "mem.json");
        CHECK(to_json(back) == j);
        CHECK(deployment_hash(back) == d.id);
    }
}

TEST_CASE("deployment JSON: wrong kind, unknown version, bad field are refused") {
    Deployment d = compose_example("minimal", true);
    auto j = to_json(d);
    auto wrong = j;
    wrong["kind"] = "chima.routes";
    CHECK_THROWS_WITH_AS(deployment_from_json(wrong, "d.json"), doctest::Contains("wrong kind"),
                         InputError);
    auto future = j;
    future["version"] = 99;
    CHECK_THROWS_WITH_AS(deployment_from_json(future, "d.json"),
                         doctest::Contains("unknown chima.deployment version 99"), InputError);
    auto bad = j;
    bad["flows"][0]["stack"][0]["label"] = 5;
    CHECK_THROWS_WITH_AS(deployment_from_json(bad, "d.json"), doctest::Contains("/flows/0/stack/0"),
                         InputError);
}

TEST_CASE("legacy import of prototype files gives the native chain and stacks") {
    Topology topo = load_topology(example("minimal", "topology.yaml"));
    std::string dir = root() + "/tests/data/legacy/minimal/";
    LegacyImport imported = import_legacy(topo, dir + "service.yaml", dir + "dep.yaml");
    ComposeInput legacy_in{topo, imported.service, imported.placement, {}, nullptr};
    Deployment legacy = compose(legacy_in);
    Deployment native = compose_example("minimal", true);

    REQUIRE(legacy.chains.size() == 1);
    CHECK(legacy.chains[0].functions == native.chains[0].functions);
    CHECK(legacy.chains[0].sla.latency == native.chains[0].sla.latency);
    REQUIRE(legacy.functions.size() == native.functions.size());
    for (size_t i = 0; i < native.functions.size(); ++i) {
        CHECK(legacy.functions[i].node == native.functions[i].node);
        CHECK(legacy.functions[i].ip == native.functions[i].ip);
        CHECK(legacy.functions[i].spec.sla.has_value() == native.functions[i].spec.sla.has_value());
    }
    REQUIRE(legacy.flows.size() == native.flows.size());
    for (size_t i = 0; i < native.flows.size(); ++i) {
        CHECK(legacy.flows[i].stack == native.flows[i].stack);
        CHECK(legacy.flows[i].path == native.flows[i].path);
    }
    REQUIRE(legacy.sections.size() == native.sections.size());
    for (size_t i = 0; i < native.sections.size(); ++i) {
        CHECK(legacy.sections[i].segments == native.sections[i].segments);
    }
}

TEST_CASE("legacy import without dep.yaml computes a placement") {
    Topology topo = load_topology(example("minimal", "topology.yaml"));
    std::string dir = root() + "/tests/data/legacy/minimal/";
    LegacyImport imported = import_legacy(topo, dir + "service.yaml", std::nullopt);
    CHECK_FALSE(imported.placement.has_value());
    Deployment d = compose(ComposeInput{topo, imported.service, std::nullopt, {}, nullptr});
    CHECK(d.functions.size() == 4);
}
