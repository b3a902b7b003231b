// The typed state documents: installed.json, routes.json and net.json as the tools write
// them read back field by field and written out unchanged; a wrong kind, an unknown version
// or a mistyped member refused, naming the file and the JSON pointer of the value.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "chima/compose/compose.hpp"
#include "chima/error.hpp"
#include "chima/model/installed.hpp"
#include "chima/model/net_state.hpp"
#include "chima/model/routes.hpp"
#include "chima/state_file.hpp"

using namespace chima;
using nlohmann::json;

namespace {

Deployment minimal_deployment() {
    const char* env = std::getenv("CHIMA_ROOT");
    std::string dir = std::string(env ? env : CHIMA_DEFAULT_ROOT) + "/examples/minimal/";
    ComposeInput in;
    in.topology = load_topology(dir + "topology.yaml");
    in.service = load_service(dir + "service.yaml");
    in.placement = load_placement(dir + "placement.yaml");
    return compose(in);
}

// installed.json of `d` as chima-install writes it (install_containers.cpp start_instance,
// install_p4.cpp load_p4_functions, tools/chima-install): the container functions first,
// each as the podman backend starts it, then the P4 functions.
json installed_as_chima_install_writes(const Deployment& d, const std::string& net) {
    json functions = json::array();
    int n = 0;
    for (const auto& f : d.functions) {
        if (f.spec.type != FunctionType::Container)
            continue;
        ++n;
        functions.push_back({{"chain", f.chain},
                             {"name", f.spec.name},
                             {"type", "container"},
                             {"node", f.node},
                             {"ip", f.ip.str()},
                             {"mac", f.mac.str()},
                             {"function_id", f.function_id},
                             {"netns", f.netns()},
                             {"backend", "podman"},
                             {"instance", "chima-" + net + "-" + f.chain + "-" + f.spec.name},
                             {"id", "5f0c" + std::to_string(n) + "e1d2"},
                             {"pid", 4100 + n},
                             {"image", "localhost/chima/" + f.spec.name + ":0123456789abcdef"},
                             {"image_id", "sha256:77aa" + std::to_string(n)},
                             {"env", {{"CHIMA_PORT", std::to_string(f.spec.port)}}},
                             {"state", "running"}});
    }
    for (const auto& f : d.functions) {
        if (f.spec.type != FunctionType::P4)
            continue;
        functions.push_back({{"chain", f.chain},
                             {"name", f.spec.name},
                             {"type", "p4"},
                             {"node", f.node},
                             {"slot", f.slot},
                             {"object", "/build/p4/" + f.spec.name + ".bpf.o"},
                             {"object_hash", "00c0ffee12345678"},
                             {"entries_hash", "1469598103934665603"},
                             {"program_id", 310 + f.slot},
                             {"state", "installed"}});
    }
    functions[0]["env"]["CHIMA_NEXT"] = "10.0.1.12:12345";
    json doc = {{"kind", "chima.installed"}, {"version", 1}, {"deployment", d.id}, {"net", net}};
    doc["functions"] = functions;
    doc["changes"] = {{"slots_installed", 2},      {"slots_unchanged", 0},
                      {"slots_cleared", 0},        {"containers_started", 2},
                      {"containers_unchanged", 0}, {"containers_removed", 0}};
    return doc;
}

// routes.json of `d` as chima-route writes it (routing.cpp plan_routes and plan_watches,
// apply_routes): every flow with its labels, the flows of measured chains watched at their
// first switch.
json routes_as_chima_route_writes(const Deployment& d, const std::string& net) {
    json flows = json::array(), watched = json::array();
    for (const auto& f : d.flows) {
        json labels = json::array();
        for (const auto& s : f.stack.segments())
            labels.push_back(s.label());
        flows.push_back({{"chain", f.chain},
                         {"pusher", f.pusher},
                         {"src_ip", f.src_ip.str()},
                         {"dst_ip", f.dst_ip.str()},
                         {"labels", labels}});
        watched.push_back({{"chain", f.chain},
                           {"switch", f.path.front()},
                           {"src_ip", f.src_ip.str()},
                           {"dst_ip", f.dst_ip.str()}});
    }
    return {{"kind", "chima.routes"},
            {"version", 1},
            {"deployment", d.id},
            {"net", net},
            {"flows", flows},
            {"changed", flows.size()},
            {"removed", 0},
            {"int_watch", watched},
            {"forwarding_entries", 70}};
}

// net.json as `chima-net up` writes it (emulated_network.cpp net_up): an excerpt of the
// document of examples/minimal (switch s0, the client, host d1, link s0-s1), and a switch s9
// with no way to the collector (no "report_source").
const char* const kNetJson = R"({
  "kind": "chima.net", "version": 1, "name": "stdoc",
  "topology": "examples/minimal/topology.yaml",
  "switches": [
    {"id": 1, "int": {"report_port": 1, "report_source": "169.254.0.1", "sink_ports": [1],
                      "switch_id": 1},
     "name": "s0", "netns": "chima.stdoc.s0", "pins": "/sys/fs/bpf/chima/stdoc/s0",
     "ports": [{"ifindex": 2, "ifname": "p2", "port": 2}, {"ifindex": 3, "ifname": "p3", "port": 3},
               {"ifindex": 4, "ifname": "p1", "port": 1}]},
    {"id": 9, "int": {"report_port": 0, "sink_ports": [], "switch_id": 9},
     "name": "s9", "netns": "chima.stdoc.s9", "pins": "/sys/fs/bpf/chima/stdoc/s9",
     "ports": [{"ifindex": 2, "ifname": "p1", "port": 1}]}
  ],
  "endpoints": [
    {"bridge": "", "ip": "10.0.0.200", "kind": "endpoint", "mac": "00:00:00:00:00:20",
     "name": "client", "netns": "chima.stdoc.client", "pins": "/sys/fs/bpf/chima/stdoc/client",
     "uplink": "eth0"},
    {"bridge": "br0", "ip": "10.0.0.101", "kind": "host", "mac": "00:00:00:00:00:01",
     "name": "d1", "netns": "chima.stdoc.d1", "pins": "/sys/fs/bpf/chima/stdoc/d1",
     "uplink": "eth0"}
  ],
  "links": [{"a": {"ifname": "p2", "node": "s0"}, "b": {"ifname": "p1", "node": "s1"},
             "name": "s0-s1"}],
  "collector": {"iface": "eth0", "ip": "10.0.0.200", "netns": "chima.stdoc.client",
                "node": "client", "udp_port": 54321}
})";

// A directory of its own for files, removed with everything in it.
class ScratchDir {
  public:
    ScratchDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "chima-state-XXXXXX");
        if (!::mkdtemp(pattern.data()))
            throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~ScratchDir() { std::filesystem::remove_all(path_); }
    std::string file(const std::string& name, const json& doc) const {
        std::string p = (path_ / name).string();
        write_file_atomic(p, doc.dump(2) + "\n");
        return p;
    }

  private:
    std::filesystem::path path_;
};

// Runs `read` on `doc` and returns the InputError's message ("" if nothing was thrown).
template <class Read>
std::string refusal(Read read, const json& doc) {
    try {
        read(doc);
    } catch (const InputError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("installed.json as chima-install writes it round-trips, every field read back") {
    Deployment d = minimal_deployment();
    json doc = installed_as_chima_install_writes(d, "lab");
    Installed in = installed_from_json(doc, "installed.json");

    CHECK(in.deployment == d.id);
    CHECK(in.net == "lab");
    REQUIRE(in.changes);
    CHECK(in.changes->slots_installed == 2);
    CHECK(in.changes->containers_started == 2);
    CHECK(in.changes->slots_cleared == 0);
    REQUIRE(in.functions.size() == d.functions.size());
    CHECK(in.of_type(FunctionType::Container).size() == 2);
    CHECK(in.of_type(FunctionType::P4).size() == 2);
    for (const auto& f : d.functions) {
        CAPTURE(f.spec.name);
        const InstalledFunction* got = in.find(f.chain, f.spec.name);
        REQUIRE(got);
        CHECK(got->key() == f.chain + "/" + f.spec.name);
        CHECK(got->type == f.spec.type);
        CHECK(got->node == f.node);
        CHECK(got->extra.empty());
        if (f.spec.type == FunctionType::P4) {
            CHECK(got->state == "installed");
            CHECK(got->p4.slot == f.slot);
            CHECK(got->p4.object == "/build/p4/" + f.spec.name + ".bpf.o");
            CHECK(got->p4.object_hash == "00c0ffee12345678");
            CHECK(got->p4.entries_hash == "1469598103934665603");
            CHECK(got->p4.program_id == 310 + f.slot);
        } else {
            const InstalledContainer& c = got->container;
            CHECK(got->state == "running");
            CHECK(c.ip == f.ip);
            CHECK(c.mac == f.mac);
            CHECK(c.function_id == f.function_id);
            CHECK(c.netns == f.netns());
            CHECK(c.backend == "podman");
            CHECK(c.instance == "chima-lab-" + f.chain + "-" + f.spec.name);
            CHECK(c.id.rfind("5f0c", 0) == 0);
            CHECK(c.pid > 4100);
            CHECK(c.image == "localhost/chima/" + f.spec.name + ":0123456789abcdef");
            CHECK(c.image_id.rfind("sha256:77aa", 0) == 0);
            CHECK(c.env.at("CHIMA_PORT") == std::to_string(f.spec.port));
            CHECK_FALSE(c.exit_code);
            CHECK_FALSE(c.restarts);
        }
    }
    CHECK(in.functions[0].container.env.at("CHIMA_NEXT") == "10.0.1.12:12345");
    CHECK(in.find("minimal", "nosuch") == nullptr);
    CHECK(to_json(in) == doc);
}

TEST_CASE("installed.json: what the watch records and members another tool added are kept") {
    Deployment d = minimal_deployment();
    json doc = installed_as_chima_install_writes(d, "lab");
    // chima-install --watch after an exit and a restart (watch_containers.cpp record): the
    // process backend's id, exit code, restart count.
    json& watched = doc["functions"][0];
    watched["backend"] = "process";
    watched["id"] = "pid:4242";
    watched["pid"] = 0;
    watched["state"] = "exited";
    watched["exit_code"] = -9;
    watched["restarts"] = 2;
    watched["note"] = {{"by", "operator"}};
    doc["operator"] = "kept as written";
    // chima-relocate writes no "changes".
    doc.erase("changes");

    Installed in = installed_from_json(doc, "installed.json");
    const InstalledContainer& c = in.functions[0].container;
    CHECK(c.backend == "process");
    CHECK(c.id == "pid:4242");
    CHECK(c.pid == 0);
    CHECK(in.functions[0].state == "exited");
    CHECK(c.exit_code == -9);
    CHECK(c.restarts == 2u);
    CHECK(in.functions[0].extra == json{{"note", {{"by", "operator"}}}});
    CHECK(in.extra == json{{"operator", "kept as written"}});
    CHECK_FALSE(in.changes);
    CHECK(to_json(in) == doc);

    // A single entry (what make-before-break passes around) reads the same way.
    InstalledFunction one =
        installed_function_from_json(doc["functions"][1], "installed.json", "/functions/1");
    CHECK(to_json(one) == doc["functions"][1]);
}

TEST_CASE("routes.json as chima-route writes it round-trips, and routes_of gives its flows") {
    Deployment d = minimal_deployment();
    json doc = routes_as_chima_route_writes(d, "lab");
    Routes r = routes_from_json(doc, "routes.json");

    CHECK(r.deployment == d.id);
    CHECK(r.net == "lab");
    CHECK(r.changed == d.flows.size());
    CHECK(r.removed == 0);
    CHECK(r.forwarding_entries == 70u);
    REQUIRE(r.flows.size() == d.flows.size());
    REQUIRE(r.int_watch.size() == d.flows.size());
    for (size_t i = 0; i < d.flows.size(); ++i) {
        const Flow& f = d.flows[i];
        CAPTURE(i);
        CHECK(r.flows[i].chain == f.chain);
        CHECK(r.flows[i].pusher == f.pusher);
        CHECK(r.flows[i].src_ip == f.src_ip);
        CHECK(r.flows[i].dst_ip == f.dst_ip);
        REQUIRE(r.flows[i].labels.size() == f.stack.segments().size());
        for (size_t k = 0; k < f.stack.segments().size(); ++k)
            CHECK(r.flows[i].labels[k] == f.stack.segments()[k].label());
        CHECK(r.int_watch[i].chain == f.chain);
        CHECK(r.int_watch[i].sw == f.path.front());
        CHECK(r.int_watch[i].src_ip == f.src_ip);
        CHECK(r.int_watch[i].dst_ip == f.dst_ip);
    }
    CHECK(to_json(r) == doc);

    // chima-relocate's routes.json has no "forwarding_entries".
    json relocated = doc;
    relocated.erase("forwarding_entries");
    Routes without = routes_from_json(relocated, "routes.json");
    CHECK_FALSE(without.forwarding_entries);
    CHECK(to_json(without) == relocated);

    // The minimal chain has SLA sections: every flow is watched, as chima-route watches it.
    REQUIRE_FALSE(d.sections.empty());
    Routes derived = routes_of(d, "lab");
    derived.changed = r.changed;
    derived.forwarding_entries = 70;
    CHECK(to_json(derived) == doc);
}

TEST_CASE("state files of the first version 1 tools are still read, with their defaults") {
    Deployment d = minimal_deployment();
    // routes.json from before INT watches: no "int_watch", "changed" or "removed".
    json routes = routes_as_chima_route_writes(d, "lab");
    routes.erase("int_watch");
    routes.erase("changed");
    routes.erase("removed");
    Routes r = routes_from_json(routes, "routes.json");
    CHECK(r.flows.size() == d.flows.size());
    CHECK(r.int_watch.empty());
    CHECK(r.changed == 0);

    // installed.json from the first chima-install: P4 slots without an entries hash or a
    // program id, and only the slot counters under "changes".
    json installed = installed_as_chima_install_writes(d, "lab");
    size_t p4 = 0;
    for (auto& f : installed["functions"]) {
        if (f["type"] == "p4") {
            f.erase("entries_hash");
            f.erase("program_id");
            ++p4;
        }
    }
    REQUIRE(p4 > 0);
    installed["changes"] = {{"slots_installed", 2}, {"slots_unchanged", 0}, {"slots_cleared", 0}};
    Installed i = installed_from_json(installed, "installed.json");
    for (const InstalledFunction* f : i.of_type(FunctionType::P4)) {
        CHECK(f->p4.entries_hash.empty());  // counts as changed: the slot is reloaded once
        CHECK(f->p4.program_id == 0);
    }
    REQUIRE(i.changes);
    CHECK(i.changes->slots_installed == 2);
    CHECK(i.changes->containers_started == 0);
}

TEST_CASE("routes_of watches only the flows of chains with SLA sections") {
    Deployment d = minimal_deployment();
    d.sections.clear();
    Routes r = routes_of(d, "lab");
    CHECK(r.flows.size() == d.flows.size());
    CHECK(r.int_watch.empty());
}

TEST_CASE("net.json as chima-net up writes it round-trips, every field read back") {
    json doc = json::parse(kNetJson);
    NetState n = net_state_from_json(doc, "net.json");

    CHECK(n.name == "stdoc");
    CHECK(n.topology == "examples/minimal/topology.yaml");
    REQUIRE(n.switches.size() == 2);
    const NetState::Switch& s0 = n.switches[0];
    CHECK(s0.name == "s0");
    CHECK(s0.id == 1);
    CHECK(s0.netns == "chima.stdoc.s0");
    CHECK(s0.pins == "/sys/fs/bpf/chima/stdoc/s0");
    REQUIRE(s0.ports.size() == 3);
    CHECK(s0.ports[2].port == 1);
    CHECK(s0.ports[2].ifname == "p1");
    CHECK(s0.ports[2].ifindex == 4);
    CHECK(s0.int_settings.switch_id == 1);
    CHECK(s0.int_settings.sink_ports == std::vector<uint32_t>{1});
    CHECK(s0.int_settings.report_port == 1);
    REQUIRE(s0.int_settings.report_source);
    CHECK(s0.int_settings.report_source->str() == "169.254.0.1");
    CHECK(n.switches[1].int_settings.report_port == 0);
    CHECK(n.switches[1].int_settings.sink_ports.empty());
    CHECK_FALSE(n.switches[1].int_settings.report_source);
    REQUIRE(n.endpoints.size() == 2);
    const NetState::Endpoint& d1 = n.endpoints[1];
    CHECK(d1.name == "d1");
    CHECK(d1.kind == "host");
    CHECK(d1.netns == "chima.stdoc.d1");
    CHECK(d1.ip.str() == "10.0.0.101");
    CHECK(d1.mac.str() == "00:00:00:00:00:01");
    CHECK(d1.uplink == "eth0");
    CHECK(d1.pins == "/sys/fs/bpf/chima/stdoc/d1");
    CHECK(d1.bridge == "br0");
    CHECK(n.endpoints[0].kind == "endpoint");
    CHECK(n.endpoints[0].bridge.empty());
    REQUIRE(n.links.size() == 1);
    CHECK(n.links[0].name == "s0-s1");
    CHECK(n.links[0].a.node == "s0");
    CHECK(n.links[0].a.ifname == "p2");
    CHECK(n.links[0].b.node == "s1");
    CHECK(n.links[0].b.ifname == "p1");
    CHECK(n.collector.node == "client");
    CHECK(n.collector.netns == "chima.stdoc.client");
    CHECK(n.collector.iface == "eth0");
    CHECK(n.collector.ip.str() == "10.0.0.200");
    CHECK(n.collector.udp_port == 54321);
    CHECK(to_json(n) == doc);
}

TEST_CASE("state documents: wrong kind, unknown version, mistyped members are refused") {
    Deployment d = minimal_deployment();
    json installed = installed_as_chima_install_writes(d, "lab");
    json routes = routes_as_chima_route_writes(d, "lab");
    json net = json::parse(kNetJson);
    auto read_installed = [](const json& j) { installed_from_json(j, "installed.json"); };
    auto read_routes = [](const json& j) { routes_from_json(j, "routes.json"); };
    auto read_net = [](const json& j) { net_state_from_json(j, "net.json"); };

    struct Case {
        std::string what;
        std::string message;
        std::string expected;
    };
    auto broken = [](json doc, const char* pointer, json value) {
        doc[json::json_pointer(pointer)] = std::move(value);
        return doc;
    };
    auto without = [](json doc, const char* parent, const char* key) {
        doc[json::json_pointer(parent)].erase(key);
        return doc;
    };
    const Case cases[] = {
        {"installed: wrong kind",
         refusal(read_installed, broken(installed, "/kind", "chima.routes")),
         "installed.json: at /kind: wrong kind 'chima.routes', expected 'chima.installed'"},
        {"installed: future version", refusal(read_installed, broken(installed, "/version", 2)),
         "installed.json: at /version: unknown chima.installed version 2"},
        {"installed: slot as text",
         refusal(read_installed, broken(installed, "/functions/3/slot", "2")),
         "installed.json: at /functions/3/slot: expected an integer from 1 to 262143"},
        {"installed: negative program id",
         refusal(read_installed, broken(installed, "/functions/2/program_id", -1)),
         "installed.json: at /functions/2/program_id: expected an integer from 0 to 4294967295"},
        {"installed: misspelt key",
         refusal(read_installed, without(installed, "/functions/0", "image_id")),
         "installed.json: at /functions/0: missing \"image_id\""},
        {"installed: pid above INT64_MAX",
         refusal(read_installed,
                 broken(installed, "/functions/0/pid", uint64_t{9223372036854775808u})),
         "installed.json: at /functions/0/pid: expected an integer up to 9223372036854775807"},
        {"installed: version 2^64 - 1 (not wrapped to -1)",
         refusal(read_installed, broken(installed, "/version", uint64_t{18446744073709551615u})),
         "installed.json: at /version: unknown chima.installed version 18446744073709551615"},
        {"installed: bad address",
         refusal(read_installed, broken(installed, "/functions/1/ip", "10.0.0")),
         "installed.json: at /functions/1/ip: expected an IPv4 address"},
        {"installed: env value not text",
         refusal(read_installed, broken(installed, "/functions/0/env/CHIMA_PORT", 12345)),
         "installed.json: at /functions/0/env/CHIMA_PORT: expected a string"},
        {"installed: unknown type",
         refusal(read_installed, broken(installed, "/functions/1/type", "vm")),
         "installed.json: at /functions/1/type: unknown function type 'vm'"},
        {"installed: changes not counted",
         refusal(read_installed, broken(installed, "/changes/slots_cleared", true)),
         "installed.json: at /changes/slots_cleared: expected an integer >= 0"},
        {"routes: wrong kind", refusal(read_routes, broken(routes, "/kind", "chima.installed")),
         "routes.json: at /kind: wrong kind 'chima.installed', expected 'chima.routes'"},
        {"routes: version 0", refusal(read_routes, broken(routes, "/version", 0)),
         "routes.json: at /version: unknown chima.routes version 0"},
        {"routes: no version", refusal(read_routes, without(routes, "", "version")),
         "routes.json: at /: 'chima.routes' document has no integer \"version\""},
        {"routes: label as text", refusal(read_routes, broken(routes, "/flows/1/labels/0", "x")),
         "routes.json: at /flows/1/labels/0: expected an integer from 0 to 1048575"},
        {"routes: watch without switch",
         refusal(read_routes, without(routes, "/int_watch/0", "switch")),
         "routes.json: at /int_watch/0: missing \"switch\""},
        {"routes: flows not a list", refusal(read_routes, broken(routes, "/flows", json::object())),
         "routes.json: at /flows: expected an array"},
        {"net: wrong kind", refusal(read_net, broken(net, "/kind", "chima.deployment")),
         "net.json: at /kind: wrong kind 'chima.deployment', expected 'chima.net'"},
        {"net: version as text", refusal(read_net, broken(net, "/version", "1")),
         "net.json: at /version: 'chima.net' document has no integer \"version\""},
        {"net: bad MAC", refusal(read_net, broken(net, "/endpoints/1/mac", "02:00")),
         "net.json: at /endpoints/1/mac: expected a MAC address"},
        {"net: ifindex as text", refusal(read_net, broken(net, "/switches/1/ports/0/ifindex", "2")),
         "net.json: at /switches/1/ports/0/ifindex: expected an integer"},
        {"net: unknown endpoint kind",
         refusal(read_net, broken(net, "/endpoints/0/kind", "router")),
         "net.json: at /endpoints/0/kind: unknown endpoint kind 'router'"},
        {"net: port out of range", refusal(read_net, broken(net, "/collector/udp_port", 70000)),
         "net.json: at /collector/udp_port: expected a port from 0 to 65535"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.what);
        CAPTURE(c.message);
        CHECK(c.message.rfind(c.expected, 0) == 0);
    }
}

TEST_CASE("state files: load_* read what the tools write and name the file in errors") {
    Deployment d = minimal_deployment();
    ScratchDir dir;
    json installed = installed_as_chima_install_writes(d, "lab");
    json routes = routes_as_chima_route_writes(d, "lab");
    json net = json::parse(kNetJson);
    CHECK(to_json(load_installed(dir.file("installed.json", installed))) == installed);
    CHECK(to_json(load_routes(dir.file("routes.json", routes))) == routes);
    CHECK(to_json(load_net_state(dir.file("net.json", net))) == net);

    // A file of another kind is refused before any member is read, naming the file.
    std::string swapped = dir.file("swapped.json", routes);
    std::string wrong_kind = swapped + ":1:1: wrong kind 'chima.routes'";
    CHECK_THROWS_WITH_AS(load_installed(swapped), doctest::Contains(wrong_kind.c_str()),
                         InputError);
    json mistyped = installed;
    mistyped["functions"][2]["slot"] = "one";
    std::string bad = dir.file("bad.json", mistyped);
    std::string at_slot = bad + ": at /functions/2/slot: expected an integer";
    CHECK_THROWS_WITH_AS(load_installed(bad), doctest::Contains(at_slot.c_str()), InputError);
}

TEST_CASE("state files: a file and a document with the same bad header get the same message") {
    Deployment d = minimal_deployment();
    ScratchDir dir;
    json future = routes_as_chima_route_writes(d, "lab");
    future["version"] = 5;
    std::string file = dir.file("routes.json", future);
    const std::string message = "unknown chima.routes version 5 (this tool reads versions 1..1)";
    // read_state reports it at the file, the document's reader at the member.
    std::string at_file = file + ":1:1: " + message;
    std::string at_member = "routes.json: at /version: " + message;
    CHECK_THROWS_WITH_AS(load_routes(file), doctest::Contains(at_file.c_str()), InputError);
    CHECK_THROWS_WITH_AS(read_state(file, kRoutesKind, kRoutesVersion),
                         doctest::Contains(at_file.c_str()), InputError);
    CHECK_THROWS_WITH_AS(routes_from_json(future, "routes.json"),
                         doctest::Contains(at_member.c_str()), InputError);
}
