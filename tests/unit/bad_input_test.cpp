// The bad-input corpus: every file under tests/data/bad/ names, on its first line, the
// position and message its error must have: "# expect: [FILE:]LINE:COL: message". The
// file replaces the same role (topology-, service-, placement-) of the minimal example.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include <unistd.h>

#include <map>

#include "chima/compose/compose.hpp"
#include "chima/deploy/artifacts.hpp"
#include "chima/model/installed.hpp"
#include "chima/model/json_reader.hpp"
#include "chima/model/legacy.hpp"
#include "chima/model/routes.hpp"
#include "chima/names.hpp"
#include "chima/net/names.hpp"
#include "chima/state_file.hpp"
#include "chima/yaml/yaml_view.hpp"

using namespace chima;
namespace fs = std::filesystem;

namespace {

struct Expectation {
    std::string file;  // basename the error must name (default: the bad file itself)
    int line, column;
    std::string message;
};

Expectation expectation_of(const fs::path& p) {
    std::ifstream in(p);
    std::string first;
    std::getline(in, first);
    std::smatch m;
    static const std::regex re(R"(^# expect: (?:(\S+\.yaml):)?(\d+):(\d+): (.*)$)");
    REQUIRE_MESSAGE(std::regex_match(first, m, re), p.string() << ": no '# expect:' line");
    return {m[1].matched ? m[1].str() : p.filename().string(), std::stoi(m[2]), std::stoi(m[3]),
            m[4].str()};
}

std::string root() {
    const char* r = std::getenv("CHIMA_ROOT");
    return r ? r : CHIMA_DEFAULT_ROOT;
}

void run_case(const fs::path& bad) {
    std::string ex = root() + "/examples/minimal/";
    std::string topo = ex + "topology.yaml", service = ex + "service.yaml",
                placement = ex + "placement.yaml";
    std::string name = bad.filename().string();
    if (name.rfind("topology-", 0) == 0)
        topo = bad.string();
    if (name.rfind("service-", 0) == 0)
        service = bad.string();
    if (name.rfind("placement-", 0) == 0)
        placement = bad.string();
    bool with_placement = name.rfind("service-", 0) != 0;
    ComposeInput in;
    in.topology = load_topology(topo);
    in.service = load_service(service);
    if (with_placement)
        in.placement = load_placement(placement);
    compose(in);
}

}  // namespace

TEST_CASE("bad input corpus: message, file, line and column") {
    fs::path dir = fs::path(CHIMA_TEST_DATA) / "bad";
    int cases = 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().extension() != ".yaml")
            continue;
        ++cases;
        Expectation want = expectation_of(entry.path());
        CAPTURE(entry.path().filename().string());
        try {
            run_case(entry.path());
            FAIL("no error for " << entry.path());
        } catch (const InputError& e) {
            CHECK(e.code() == ExitCode::BadInput);
            CHECK(fs::path(e.mark().file).filename().string() == want.file);
            CHECK(e.mark().line == want.line);
            CHECK(e.mark().column == want.column);
            CHECK_MESSAGE(std::string(e.what()).find(want.message) != std::string::npos,
                          "message was: " << e.what());
        }
    }
    CHECK(cases >= 25);
}

TEST_CASE("legacy dep.yaml with a bad stack entry names its position") {
    std::string ex = root() + "/examples/minimal/";
    Topology topo = load_topology(ex + "topology.yaml");
    std::string dir = std::string(CHIMA_TEST_DATA) + "/legacy/minimal/";
    try {
        import_legacy(topo, dir + "service.yaml", dir + "dep-bad-stack.yaml");
        FAIL("no error");
    } catch (const InputError& e) {
        CHECK(e.mark().line == 9);
        CHECK(e.mark().column == 19);
        CHECK(std::string(e.what()).find("unknown stack entry type 'hop'") != std::string::npos);
    }
}

// ---- one rule for names, ranges and references in every input --------------------------

namespace {

Deployment minimal_deployment() {
    std::string ex = root() + "/examples/minimal/";
    ComposeInput in;
    in.topology = load_topology(ex + "topology.yaml");
    in.service = load_service(ex + "service.yaml");
    in.placement = load_placement(ex + "placement.yaml");
    return compose(in);
}

// The index in "functions" of the n-th function of `type` (0-based).
size_t function_index(const nlohmann::json& doc, const std::string& type, int n = 0) {
    for (size_t i = 0; i < doc["functions"].size(); ++i)
        if (doc["functions"][i]["type"] == type && n-- == 0)
            return i;
    FAIL("no " << type << " function");
    return 0;
}

// `what` with every "{p}" / "{q}" / "{c}" / "{d}" replaced by an index.
std::string substitute(std::string what, const std::map<std::string, size_t>& index) {
    for (const auto& [key, value] : index) {
        for (size_t at; (at = what.find(key)) != std::string::npos;)
            what.replace(at, key.size(), std::to_string(value));
    }
    return what;
}

// Reading `doc` must fail with an InputError naming `file`, the JSON pointer and `message`.
template <typename Read>
void expect_refused(const nlohmann::json& doc, const std::string& file, const std::string& pointer,
                    const std::string& message, Read read) {
    CAPTURE(pointer);
    CAPTURE(message);
    try {
        read(doc);
        FAIL("accepted");
    } catch (const InputError& e) {
        std::string what = e.what();
        CHECK(e.code() == ExitCode::BadInput);
        CHECK_MESSAGE(what.rfind(file + ": at " + pointer + ": ", 0) == 0, "was: " << what);
        CHECK_MESSAGE(what.find(message) != std::string::npos, "was: " << what);
    }
}

struct JsonCase {
    std::string pointer;  // set to `value` (or removed when value is discarded)
    nlohmann::json value;
    std::string message;
};

}  // namespace

TEST_CASE("names: one rule at every entry point") {
    const std::string longest(32, 'a'), too_long(33, 'a');
    for (std::string good : {"a", "0", "s0", "a-b_c", "echo", "end-to-end", longest.c_str()}) {
        CAPTURE(good);
        CHECK(is_valid_name(good));
        CHECK_NOTHROW(check_name(good, "name"));
        CHECK_NOTHROW(net::check_net_name(good));
        CHECK_NOTHROW(net::check_node_name(good));
    }
    for (std::string bad : {"", "../x", "..", ".", "a;b", "x;touch /tmp/f", "a/b", "a b", "a.b",
                            "A", "aB", "-a", "_a", "a$b", "a\nb", "\x01", "é", too_long.c_str()}) {
        CAPTURE(bad);
        CHECK_FALSE(is_valid_name(bad));
        CHECK_FALSE(name_problem(bad).empty());
        CHECK_THROWS_AS(check_name(bad, "name"), InputError);
        CHECK_THROWS_AS(net::check_net_name(bad), InputError);
        CHECK_THROWS_AS(net::check_node_name(bad), InputError);
        if (!bad.empty())  // an empty --net means the topology's name
            CHECK_THROWS_AS(net::network_name(bad, "minimal"), InputError);
        CHECK_THROWS_AS(net::network_name("", bad), InputError);
        CHECK_THROWS_AS(YamlView::load_text("name: '" + bad + "'\n", "t.yaml").at("name").name(),
                        InputError);
        nlohmann::json j = bad;
        CHECK_THROWS_AS(JsonReader(j, "t.json").name(), InputError);
    }
    CHECK(net::network_name("", "minimal") == "minimal");
    // What reaches a container engine's command line besides names.
    CHECK(image_ref_problem("docker.io/library/alpine:3.19@sha256:abc").empty());
    CHECK(image_ref_problem("localhost/chima/echo:0123456789abcdef").empty());
    for (std::string bad : {"", "-v", "--privileged", "a b", "a;b", "a\nb", "$(x)"})
        CHECK_FALSE(image_ref_problem(bad).empty());
    CHECK(env_name_problem("CHIMA_PORT").empty());
    CHECK(env_name_problem("_x1").empty());
    for (std::string bad : {"", "1A", "A=B", "A B", "A-B"})
        CHECK_FALSE(env_name_problem(bad).empty());
}

TEST_CASE("YAML: duplicate keys at any depth, a second document, an unclosed ${") {
    struct Case {
        std::string text;
        int line, column;
        std::string message;
    };
    for (const Case& c : std::vector<Case>{
             {"a: 1\nb: 2\na: 3\n", 3, 1, "duplicate key 'a'"},
             {"a: {x: 1, y: 2, x: 3}\n", 1, 17, "duplicate key 'x'"},
             {"a:\n  - {k: 1}\n  - {k: 1, k: 2}\n", 3, 12, "duplicate key 'k'"},
             {"a: 1\n---\nb: 2\n", 3, 1, "a second YAML document"},
             {"a: 1\n---\n", 2, 1, "a second YAML document"},
             {"a: 1\n...\n---\nb: 1\n", 4, 1, "a second YAML document"},
         }) {
        CAPTURE(c.text);
        try {
            YamlView::load_text(c.text, "t.yaml");
            FAIL("accepted");
        } catch (const InputError& e) {
            CHECK(e.mark().line == c.line);
            CHECK(e.mark().column == c.column);
            CHECK_MESSAGE(std::string(e.what()).find(c.message) != std::string::npos,
                          "was: " << e.what());
        }
    }
    // One document, with its "---" and a key repeated in different mappings, is fine.
    CHECK_NOTHROW(YamlView::load_text("---\na: {k: 1}\nb: {k: 1}\n", "t.yaml"));
    // An alias bomb does not expand forever.
    std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    for (char c = 'b'; c <= 'j'; ++c)
        bomb += std::string(1, c) + ": &" + c + " [*" + char(c - 1) + ", *" + char(c - 1) + ", *" +
                char(c - 1) + ", *" + char(c - 1) + ", *" + char(c - 1) + ", *" + char(c - 1) +
                ", *" + char(c - 1) + ", *" + char(c - 1) + ", *" + char(c - 1) + ", *" +
                char(c - 1) + "]\n";
    CHECK_THROWS_AS(YamlView::load_text(bomb, "t.yaml"), InputError);

    std::string problem;
    CHECK_FALSE(expand_env("${CHIMA_ROOT/x", &problem));
    CHECK(problem.find("not closed") != std::string::npos);
    CHECK_FALSE(expand_env("a/${}", &problem));
    CHECK(problem.find("not a variable name") != std::string::npos);
    CHECK_FALSE(expand_env("${a-b}/x", &problem));
    CHECK(expand_env("$CHIMA_ROOT/x").has_value());
    CHECK(expand_env("${CHIMA_ROOT}/x").has_value());
    CHECK(*expand_env("cost$") == "cost$");
}

TEST_CASE("topology: the 16384th switch without an id is past the 14-bit range") {
    std::string text = "kind: chima.topology\nswitches:\n";
    for (int i = 0; i < 16385; ++i)
        text += "  - {name: s" + std::to_string(i) + "}\n";
    text += "client: {name: client, ip: 10.0.0.200, switch: s0}\n";
    try {
        parse_topology(text, "big.yaml");
        FAIL("accepted");
    } catch (const InputError& e) {
        CHECK(e.mark().line == 2 + 16384);  // the switch that would get id 16384
        CHECK(std::string(e.what()).find("'s16383' would get id 16384") != std::string::npos);
    }
    // One switch fewer fits.
    std::string fits = "kind: chima.topology\nswitches:\n";
    for (int i = 0; i < 16383; ++i)
        fits += "  - {name: s" + std::to_string(i) + "}\n";
    fits += "client: {name: client, ip: 10.0.0.200, switch: s0}\n";
    CHECK(parse_topology(fits, "fits.yaml").switches.back().id == 16383);
}

TEST_CASE("deployment.json: names, ranges, references and contradictions at their pointer") {
    Deployment d = minimal_deployment();
    nlohmann::json good = to_json(d);
    CHECK_NOTHROW(deployment_from_json(good, "deployment.json"));
    std::map<std::string, size_t> index{{"{p}", function_index(good, "p4", 0)},
                                        {"{q}", function_index(good, "p4", 1)},
                                        {"{c}", function_index(good, "container", 0)},
                                        {"{d}", function_index(good, "container", 1)}};
    auto other = [&](const std::string& ptr) {
        return good[nlohmann::json::json_pointer(substitute(ptr, index))];
    };
    const std::vector<JsonCase> cases{
        {"/topology/name", "../x", "invalid name '../x'"},
        {"/topology/switches/0/name", "s0;x", "invalid name 's0;x'"},
        {"/topology/switches/0/id", 16384, "switch id 16384 is out of range 1..16383"},
        {"/topology/switches/1/id", other("/topology/switches/0/id"), "duplicate switch id"},
        {"/topology/hosts/0/name", "Upper", "it starts with 'U'"},
        {"/topology/hosts/0/attach/switch", "s9", "unknown switch 's9'"},
        {"/topology/links/0/a_port", 512, "switch port 512 is out of range 1..511"},
        {"/topology/client/name", "", "it is empty"},
        {"/topology/collector/udp_port", 0, "port 0 is out of range 1..65535"},
        {"/chains/0/name", "a b", "invalid name 'a b'"},
        {"/chains/0/poll_ns", 0, "poll_ns 0 is out of range"},
        {"/chains/0/poll_ns", -5, "poll_ns -5 is out of range"},
        {"/chains/0/alpha", 0, "is not in (0, 1]"},
        {"/chains/0/alpha", 1.5, "is not in (0, 1]"},
        {"/chains/0/sla/latency_ns", -1, "latency_ns -1 is out of range"},
        {"/chains/0/client/protocol", "sctp", "unknown protocol 'sctp'"},
        {"/chains/0/functions/0", "nosuch", "does not place"},
        {"/functions/{c}/function_id", 0x1fffff,
         "container function id (18 bits) 2097151 is out of range 1..262143"},
        {"/functions/{d}/function_id", other("/functions/{c}/function_id"), "is also"},
        {"/functions/{p}/slot", 262144, "function slot 262144 is out of range 1..262143"},
        {"/functions/{p}/slot", 17, "has function slots 1..16, not 17"},
        {"/functions/{q}/name", other("/functions/{p}/name"), "duplicate function"},
        {"/functions/{c}/name", "x;touch /tmp/f", "invalid name 'x;touch /tmp/f'"},
        {"/functions/{c}/chain", "other", "unknown chain 'other'"},
        {"/functions/{c}/node", "s0", "which is not a host"},
        {"/functions/{p}/node", "d1", "which is not a switch"},
        {"/functions/{p}/sid", 12, "contradicts slot"},
        {"/functions/{c}/end_sid", 12, "contradicts function id"},
        {"/functions/{c}/netns", "../../x", "expected 'fn-"},
        {"/functions/{c}/port", 70000, "port 70000 is out of range 1..65535"},
        {"/functions/{c}/type", "vm", "unknown function type 'vm'"},
        {"/functions/{c}/image", "--privileged",
         "invalid image '--privileged': it starts with '-'"},
        {"/functions/{c}/image", "alpine; rm -rf /", "invalid image 'alpine; rm -rf /'"},
        {"/functions/{c}/env", {{"A=B", "x"}}, "invalid environment variable name 'A=B'"},
        {"/flows/0/pusher", "../../../../tmp/x", "invalid name '../../../../tmp/x'"},
        {"/flows/0/pusher", "s0", "neither the client nor a host"},
        {"/flows/0/direction", "sideways", "unknown direction"},
        {"/flows/0/path/0", "s9", "unknown switch 's9'"},
        {"/flows/0/stack/0/sid", "teleport", "unknown SID kind 'teleport'"},
        {"/flows/0/stack/0/label", 1 << 20, "label 1048576 is out of range 0..1048575"},
        {"/flows/0/stack/0/label", 5, "not in a CHIMA SID block"},
        {"/sections/0/segments/0/a_id", 999, "has id"},
        {"/sections/0/segments/0/type", "wormhole", "unknown segment type"},
        {"/endpoints/0/port", 0, "switch port 0 is out of range"},
        {"/endpoints/0/kind", "ghost", "unknown endpoint kind 'ghost'"},
        {"/endpoints/0/switch", "s9", "unknown switch 's9'"},
        {"/next_port/s0/s1", 0, "switch port 0 is out of range"},
    };
    auto read = [](const nlohmann::json& j) { return deployment_from_json(j, "deployment.json"); };
    for (const auto& c : cases) {
        nlohmann::json doc = good;
        std::string pointer = substitute(c.pointer, index);
        doc[nlohmann::json::json_pointer(pointer)] = c.value;
        expect_refused(doc, "deployment.json", pointer, c.message, read);
    }
    // Two P4 functions in one slot of one switch.
    nlohmann::json shared = good;
    std::string q = "/functions/" + std::to_string(index["{q}"]);
    shared[nlohmann::json::json_pointer(q + "/node")] = other("/functions/{p}/node");
    shared[nlohmann::json::json_pointer(q + "/slot")] = other("/functions/{p}/slot");
    expect_refused(shared, "deployment.json", q + "/slot", "is also function", read);
    // A label contradicting its SID kind: a function label written as an adjacency.
    nlohmann::json doc = good;
    for (size_t i = 0; i < doc["flows"][0]["stack"].size(); ++i) {
        auto& entry = doc["flows"][0]["stack"][i];
        if (entry["sid"] == "function") {
            entry["sid"] = "adjacency";
            expect_refused(doc, "deployment.json", "/flows/0/stack/" + std::to_string(i) + "/sid",
                           "contradicts label", [](const nlohmann::json& j) {
                               return deployment_from_json(j, "deployment.json");
                           });
            break;
        }
    }
}

TEST_CASE("installed.json and routes.json: names, ranges and duplicates at their pointer") {
    Deployment d = minimal_deployment();
    Installed installed;
    installed.deployment = d.id;
    installed.net = "minimal";
    for (const auto& f : d.functions) {
        InstalledFunction e;
        e.chain = f.chain;
        e.name = f.spec.name;
        e.type = f.spec.type;
        e.node = f.node;
        e.state = "running";
        e.p4.slot = f.slot;
        e.container.ip = f.ip;
        e.container.mac = f.mac;
        e.container.function_id = f.function_id;
        e.container.netns = f.netns();
        e.container.backend = "podman";
        e.container.instance = "chima-minimal-" + f.chain + "-" + f.spec.name;
        installed.functions.push_back(e);
    }
    nlohmann::json good = to_json(installed);
    CHECK_NOTHROW(installed_from_json(good, "installed.json"));
    size_t c = function_index(good, "container"), p = function_index(good, "p4");
    auto at = [](size_t i, const char* key) {
        return "/functions/" + std::to_string(i) + "/" + key;
    };
    const std::vector<JsonCase> cases{
        {"/net", "a;b", "invalid name 'a;b'"},
        {at(c, "name"), "x;touch /tmp/f", "invalid name 'x;touch /tmp/f'"},
        {at(c, "node"), "../d1", "invalid name '../d1'"},
        {at(c, "netns"), "../../x", "invalid name '../../x'"},
        {at(c, "instance"), "x;touch /tmp/f", "invalid name 'x;touch /tmp/f'"},
        {at(c, "backend"), "lxc", "unknown backend 'lxc'"},
        {at(c, "function_id"), 0x1fffff, "out of range 1..262143"},
        {at(p, "slot"), 262144, "function slot 262144 is out of range"},
    };
    for (const auto& k : cases) {
        nlohmann::json doc = good;
        doc[nlohmann::json::json_pointer(k.pointer)] = k.value;
        expect_refused(doc, "installed.json", k.pointer, k.message, [](const nlohmann::json& j) {
            return installed_from_json(j, "installed.json");
        });
    }
    // The same function twice.
    nlohmann::json twice = good;
    twice["functions"].push_back(good["functions"][c]);
    expect_refused(
        twice, "installed.json", "/functions/" + std::to_string(good["functions"].size()) + "/name",
        "duplicate function",
        [](const nlohmann::json& j) { return installed_from_json(j, "installed.json"); });

    nlohmann::json routes = to_json(routes_of(d, "minimal"));
    CHECK_NOTHROW(routes_from_json(routes, "routes.json"));
    for (const JsonCase& k : std::vector<JsonCase>{
             {"/net", "../x", "invalid name '../x'"},
             {"/flows/0/pusher", "../../../../tmp/x", "invalid name"},
             {"/flows/0/chain", "", "it is empty"},
             {"/flows/0/labels/0", 1 << 20, "label 1048576 is out of range"},
             {"/flows/0/labels/0", 7, "not in a CHIMA SID block"},
             {"/int_watch/0/switch", "s0/../x", "invalid name"},
         }) {
        nlohmann::json doc = routes;
        doc[nlohmann::json::json_pointer(k.pointer)] = k.value;
        expect_refused(doc, "routes.json", k.pointer, k.message,
                       [](const nlohmann::json& j) { return routes_from_json(j, "routes.json"); });
    }
}

TEST_CASE("artifacts.json: objects are regular ELF BPF files in the build directory or given") {
    fs::path dir = fs::temp_directory_path() / ("chima-artifacts-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir / "build" / "p4");
    std::string elf_bpf(
        "\x7f"
        "ELF\x02\x01\x01",
        7);
    elf_bpf.resize(18, '\0');
    elf_bpf += std::string("\xf7\x00", 2);  // e_machine 247 (EM_BPF), little endian
    elf_bpf.resize(64, '\0');
    std::string elf_x86 = elf_bpf;
    elf_x86[18] = 62;  // EM_X86_64
    write_file_atomic((dir / "build/p4/f.bpf.o").string(), elf_bpf);
    write_file_atomic((dir / "build/p4/x86.o").string(), elf_x86);
    write_file_atomic((dir / "outside.bpf.o").string(), elf_bpf);
    auto artifacts_with = [&](const nlohmann::json& object) {
        nlohmann::json doc = {
            {"kind", "chima.artifacts"},
            {"version", 1},
            {"functions", {{{"chain", "minimal"}, {"name", "f"}, {"object", object}}}}};
        std::string path = (dir / "build" / "artifacts.json").string();
        write_file_atomic(path, doc.dump());
        return path;
    };
    CHECK(deploy::load_artifacts(artifacts_with("p4/f.bpf.o")).find("minimal", "f") != nullptr);
    CHECK_NOTHROW(deploy::load_artifacts(artifacts_with((dir / "outside.bpf.o").string())));
    struct Case {
        nlohmann::json object;
        std::string message;
    };
    for (const Case& c : std::vector<Case>{
             {"/etc/passwd", "is not an ELF object"},
             {"/dev/zero", "is not a regular file"},
             {"/dev/null", "is not a regular file"},
             {dir.string(), "is not a regular file"},
             {"p4", "is not a regular file"},
             {"p4/x86.o", "not BPF (247)"},
             {"p4/missing.o", "does not exist"},
             {"../outside.bpf.o", "leaves the build directory"},
             {"p4/../../outside.bpf.o", "leaves the build directory"},
             {"", "empty path"},
             {42, "expected a string"},
         }) {
        CAPTURE(c.object.dump());
        std::string path = artifacts_with(c.object);
        expect_refused(nlohmann::json(), path, "/functions/0/object", c.message,
                       [&](const nlohmann::json&) { return deploy::load_artifacts(path); });
    }
    fs::remove_all(dir);
}
