// chima-compile's deployment mode without the kernel: the merged v1model program of every
// example scenario passes the front end's whole-program check; a broken injection is
// caught and names the switch; service.yaml entries are resolved against a P4Info and
// every misfit names the function and the entry.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "chima/compose/compose.hpp"
#include "chima/deploy/compile_deployment.hpp"
#include "chima/error.hpp"
#include "chima/p4/checker.hpp"
#include "chima/state_file.hpp"

namespace fs = std::filesystem;
using namespace chima;
using nlohmann::json;

namespace {

fs::path source_root() {
    return fs::path(CHIMA_TEST_DATA).parent_path().parent_path();
}

struct TempDir {
    fs::path path;
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "chima-cd-XXXXXX").string();
        path = ::mkdtemp(tmpl.data());
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

Deployment compose_example(const std::string& scenario) {
    fs::path dir = source_root() / "examples" / scenario;
    ComposeInput in;
    in.topology = load_topology((dir / "topology.yaml").string());
    in.service = load_service((dir / "service.yaml").string());
    in.placement = load_placement((dir / "placement.yaml").string());
    return compose(in);
}

// The switch -> injected functions of a deployment, as compile_deployment groups them.
std::map<std::string, std::vector<deploy::InjectedFunction>> injections(const Deployment& d) {
    std::map<std::string, std::vector<deploy::InjectedFunction>> out;
    for (const auto& f : d.functions) {
        if (f.spec.type != FunctionType::P4)
            continue;
        out[f.node].push_back({f.slot, f.spec.control, read_file(f.spec.file)});
    }
    return out;
}

// The template with its CHIMA types include made absolute, as chima-compile merges it.
std::string template_text() {
    return deploy::anchor_includes(read_file((source_root() / "p4" / "chima.p4").string()),
                                   source_root() / "p4");
}

p4::FrontEndOptions front_end() {
    p4::FrontEndOptions o;
    o.include_dir = source_root() / "p4" / "include";
    return o;
}

std::string diagnostics(const p4::Diagnostics& diags) {
    std::string s;
    for (const auto& d : diags.list())
        s += d.str() + "\n";
    return s;
}

PlacedFunction dscp_function(std::vector<TableEntry> entries) {
    PlacedFunction f;
    f.chain = "c";
    f.spec.name = "marker";
    f.spec.type = FunctionType::P4;
    f.spec.entries = std::move(entries);
    return f;
}

json dscp_p4info() {
    return json::parse(read_file(std::string(CHIMA_TEST_DATA) + "/p4/golden/dscp_marker.json"));
}

std::string resolve_error(std::vector<TableEntry> entries) {
    try {
        deploy::resolve_entries(dscp_function(std::move(entries)), dscp_p4info());
    } catch (const InputError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("compile deployment: the template alone (no functions) is a valid v1model program") {
    p4::Diagnostics diags;
    p4::check_program(deploy::merge_program(template_text(), {}), "chima.p4", front_end(), diags);
    CHECK_MESSAGE(diags.empty(), diagnostics(diags));
}

TEST_CASE("compile deployment: every scenario's merged programs pass check_program") {
    int programs = 0;
    for (const char* scenario :
         {"minimal", "medium", "large", "mesh", "datacenter", "unbalanced"}) {
        Deployment d = compose_example(scenario);
        for (const auto& [sw, fns] : injections(d)) {
            std::string merged = deploy::merge_program(template_text(), fns);
            p4::Diagnostics diags;
            p4::check_program(merged, sw + ".p4", front_end(), diags);
            CHECK_MESSAGE(diags.empty(), scenario << "/" << sw << ":\n" << diagnostics(diags));
            for (const auto& f : fns) {
                std::string dispatch = "if (slot == " + std::to_string(f.slot) + ") fn_" +
                                       std::to_string(f.slot) +
                                       ".apply(hdr, local_metadata, standard_metadata);";
                CHECK(merged.find(dispatch) != std::string::npos);
            }
            ++programs;
        }
    }
    CHECK(programs > 0);
    MESSAGE(programs << " merged programs checked");
}

TEST_CASE("compile deployment: a broken injection is caught by the front end") {
    Deployment d = compose_example("minimal");
    auto fns = injections(d).begin()->second;
    SUBCASE("an instance of a control that was never included") {
        fns.front().control = "no_such_control";
        p4::Diagnostics diags;
        p4::check_program(deploy::merge_program(template_text(), fns), "s.p4", front_end(), diags);
        CHECK_FALSE(diags.empty());
    }
    SUBCASE("a function body that does not parse") {
        fns.front().source += "\ncontrol broken( {";
        p4::Diagnostics diags;
        p4::check_program(deploy::merge_program(template_text(), fns), "s.p4", front_end(), diags);
        CHECK_FALSE(diags.empty());
    }
    SUBCASE("a template without an injection marker") {
        std::string t = template_text();
        t.replace(t.find("@CHIMA_INJECT_DISPATCH@"), 5, "@NOPE");
        CHECK_THROWS_AS(deploy::merge_program(t, fns), InputError);
    }
}

TEST_CASE("compile deployment: a broken template is an error naming the switch, nothing written") {
    TempDir tmp;
    Deployment d = compose_example("minimal");
    std::string t = template_text();
    // The dispatch refers to `slot`; rename the parameter so the injected lines break.
    t.replace(t.find("in bit<32> slot"), 15, "in bit<32> slot_no");
    fs::path tmpl = tmp.path / "broken.p4";
    std::ofstream(tmpl) << t;
    deploy::CompileDeploymentOptions o;
    o.build_dir = tmp.path / "build";
    o.template_file = tmpl;
    o.compile.front_end = front_end();
    o.compile.bpf_include_dir = source_root() / "bpf" / "include";
    try {
        deploy::compile_deployment(d, o);
        FAIL("expected InputErrors");
    } catch (const InputErrors& e) {
        REQUIRE_FALSE(e.errors().empty());
        CHECK(std::string(e.errors().front().what()).find("switch '") == 0);
    }
    CHECK_FALSE(fs::exists(o.build_dir / "p4" / "s1.p4"));
}

TEST_CASE("compile deployment: entries resolve by field and parameter name") {
    TableEntry e;
    e.table = "marks";
    e.match = {{"dst_addr", "10.0.0.2"}, {"hdr.ipv4.protocol", "17"}};
    e.action = "set_dscp";
    e.params = {{"dscp", "0x2e"}};
    auto specs = deploy::resolve_entries(dscp_function({e}), dscp_p4info());
    REQUIRE(specs.size() == 1);
    REQUIRE(specs[0].keys.size() == 2);
    CHECK(specs[0].keys[0].value == 0x0A000002u);
    CHECK(specs[0].keys[1].value == 17);
    CHECK(specs[0].params == std::vector<uint64_t>{0x2e});
}

TEST_CASE("compile deployment: misfit entries name the function and the entry") {
    TableEntry good;
    good.table = "marks";
    good.match = {{"dst_addr", "10.0.0.2"}, {"protocol", "17"}};
    good.action = "set_dscp";
    good.params = {{"dscp", "46"}};
    auto with = [&](auto change) {
        TableEntry e = good;
        change(e);
        return resolve_error({good, e});
    };
    CHECK(with([](TableEntry& e) { e.table = "nope"; }) ==
          "function 'c/marker': entry 1 (table 'nope'): unknown table 'nope'");
    CHECK(with([](TableEntry& e) { e.action = "nope"; }).find("unknown action 'nope'") !=
          std::string::npos);
    CHECK(with([](TableEntry& e) {
              e.match.push_back({"ttl", "1"});
          }).find("has no key 'ttl'") != std::string::npos);
    CHECK(with([](TableEntry& e) {
              e.match.pop_back();
          }).find("no value for exact key 'hdr.ipv4.protocol'") != std::string::npos);
    CHECK(with([](TableEntry& e) {
              e.params = {{"dscp", "64"}};
          }).find("does not fit in bit<6>") != std::string::npos);
    CHECK(with([](TableEntry& e) {
              e.params = {{"dscp", "1"}, {"x", "1"}};
          }).find("has no parameter 'x'") != std::string::npos);
    CHECK(with([](TableEntry& e) { e.params = {}; }).find("needs parameter 'dscp'") !=
          std::string::npos);
    CHECK(with([](TableEntry& e) { e.match[1].second = "256"; }).find("does not fit in bit<8>") !=
          std::string::npos);
    CHECK(with([](TableEntry& e) { e.match[0].second = "10.0.0.300"; }).find("bad value") !=
          std::string::npos);
    CHECK(with([](TableEntry& e) {
              e.match[0].second = "10.0.0.0/8";
          }).find("is exact: no /prefix") != std::string::npos);
    CHECK(with([](TableEntry&) {}).empty());
}
