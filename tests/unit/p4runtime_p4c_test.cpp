// The proof that chima-compile's P4Info is p4c's: merged v1model programs (the template
// alone, and the example functions of p4/functions at several slots, one function at two
// slots) compiled by p4c-bm2-ss with --p4runtime-files X.json, and p4c's P4Info compared
// with p4::p4runtime_info of the same program, entity by entity and field by field (ids,
// aliases, match fields, widths, action refs, params, sizes, counter and register specs).
// Skips, saying so, where ../shared/tools/p4c is absent.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>

#include "chima/deploy/compile_deployment.hpp"
#include "chima/p4/checker.hpp"
#include "chima/p4/p4runtime_info.hpp"
#include "chima/process/child_process.hpp"
#include "chima/state_file.hpp"
#include "p4c_tools.hpp"
#include "skip.hpp"

namespace fs = std::filesystem;
using namespace chima;
using nlohmann::json;

namespace {

fs::path p4c_binary() {
    return test::p4c_bin("p4c-bm2-ss");
}

// An example function at `slot`, its control named by the front end (the file's only one).
deploy::InjectedFunction function_at(const std::string& file, uint32_t slot) {
    fs::path path = test::source_root() / "p4" / "functions" / (file + ".p4");
    p4::FrontEndOptions fe;
    fe.include_dir = test::source_root() / "p4" / "include";
    p4::Diagnostics diags;
    std::string text = read_file(path.string());
    auto fn = p4::check_function(text, path.string(), "", fe, diags);
    REQUIRE(fn.control);
    return {slot, fn.control->name, text};
}

std::string merged(const std::vector<deploy::InjectedFunction>& fns) {
    return deploy::merge_program(read_file((test::source_root() / "p4" / "chima.p4").string()), fns,
                                 test::source_root() / "p4");
}

// p4c's P4Info of a program; `compiled` says whether p4c-bm2-ss also built the bmv2 JSON
// (it writes the P4Info after its front end, before back-end limits such as bmv2's lack of
// division can refuse the program).
json p4c_info(const std::string& program, bool& compiled, std::string& log) {
    test::TempDir dir{"chima-p4rt"};
    fs::path src = dir.path / "program.p4";
    write_file_atomic(src.string(), program);
    process::Spec spec;
    spec.argv = {p4c_binary().string(),
                 "--arch",
                 "v1model",
                 "-o",
                 (dir.path / "program.json").string(),
                 "--p4runtime-files",
                 (dir.path / "p4info.json").string(),
                 src.string()};
    process::Result r = process::run(spec, std::chrono::minutes(5));
    compiled = r.status.ok();
    log = r.out + r.err;
    if (!fs::exists(dir.path / "p4info.json"))
        return nullptr;
    return json::parse(read_file((dir.path / "p4info.json").string()));
}

json our_info(const std::string& program) {
    p4::FrontEndOptions fe;
    fe.include_dir = test::source_root() / "p4" / "include";
    p4::Diagnostics diags;
    auto prog = p4::check_program(program, "merged.p4", fe, diags);
    std::string text;
    for (const auto& d : diags.list())
        text += d.str() + "\n";
    REQUIRE_MESSAGE(diags.empty(), text);
    return p4::p4runtime_info(*prog);
}

// The P4Info with each entity list keyed by name, so the comparison does not depend on the
// order p4c happens to emit entities in.
std::map<std::string, json> by_name(const json& info, const char* list) {
    std::map<std::string, json> out;
    if (info.contains(list))
        for (const auto& e : info.at(list))
            out[e.at("preamble").at("name")] = e;
    return out;
}

// Every entity of both, field by field; returns how many entities were compared.
size_t compare(const json& p4c, const json& ours, const std::string& what) {
    CHECK_MESSAGE(ours.at("pkgInfo") == p4c.at("pkgInfo"), what);
    std::set<std::string> known = {"pkgInfo",  "tables",    "actions",
                                   "counters", "registers", "typeInfo"};
    for (const auto& [key, value] : p4c.items())
        CHECK_MESSAGE(known.count(key), what << ": p4c wrote '" << key << "', we never do");
    size_t compared = 0;
    for (const char* list : {"tables", "actions", "counters", "registers", "directCounters",
                             "meters", "directMeters", "valueSets", "digests"}) {
        auto theirs = by_name(p4c, list), mine = by_name(ours, list);
        for (const auto& [name, entity] : theirs) {
            auto it = mine.find(name);
            if (it == mine.end()) {
                FAIL_CHECK(what << ": " << list << " '" << name << "' missing in ours");
                continue;
            }
            CHECK_MESSAGE(it->second == entity, what << ": " << list << " '" << name
                                                     << "' differs\n p4c:  " << entity.dump()
                                                     << "\n ours: " << it->second.dump());
            ++compared;
        }
        for (const auto& [name, entity] : mine)
            CHECK_MESSAGE(theirs.count(name),
                          what << ": " << list << " '" << name << "' is ours only");
    }
    return compared;
}

}  // namespace

TEST_CASE("p4runtime info: equal to p4c-bm2-ss's for the template and merged programs") {
    if (!fs::exists(p4c_binary())) {
        test::skip_test_case(p4c_binary().string() + " is absent (../shared/tools/p4c)");
        return;
    }
    struct Case {
        std::string what;
        std::vector<deploy::InjectedFunction> fns;
        bool bmv2_compiles = true;  // false: bmv2 refuses it after the P4Info (division)
    };
    std::vector<Case> cases = {
        {"template alone", {}},
        {"firewall at 3 and 5, flow_counter 7, dscp_marker 9",
         {function_at("firewall", 3), function_at("firewall", 5), function_at("flow_counter", 7),
          function_at("dscp_marker", 9)}},
        {"decrement_ttl 1, port_rewriter 2, changettl 4",
         {function_at("decrement_ttl", 1), function_at("port_rewriter", 2),
          function_at("changettl", 4)}},
        {"every example function",
         {function_at("changettl", 1), function_at("decrement_ttl", 2),
          function_at("dscp_marker", 3), function_at("firewall", 4), function_at("flow_counter", 5),
          function_at("port_rewriter", 6), function_at("rate_limiter", 63)},
         false},
    };
    size_t compared = 0;
    for (const auto& c : cases) {
        std::string program = merged(c.fns);
        bool compiled = false;
        std::string log;
        json theirs = p4c_info(program, compiled, log);
        REQUIRE_MESSAGE(!theirs.is_null(), c.what << ": p4c wrote no P4Info:\n" << log);
        if (c.bmv2_compiles)
            CHECK_MESSAGE(compiled, c.what << ": p4c-bm2-ss refused the program:\n" << log);
        compared += compare(theirs, our_info(program), c.what);
    }
    MESSAGE(compared << " entities equal to p4c's");
    CHECK(compared > 60);
}

TEST_CASE("p4runtime info: equal to p4c-bm2-ss's for every function of the front end's corpus") {
    if (!fs::exists(p4c_binary())) {
        test::skip_test_case(p4c_binary().string() + " is absent (../shared/tools/p4c)");
        return;
    }
    // Each accepted corpus function (tables of every match kind, const entries, const
    // default actions, annotations, counters, registers, top-level actions, slices) alone
    // at a slot of the template: p4c must write the same P4Info.
    p4::FrontEndOptions fe;
    fe.include_dir = test::source_root() / "p4" / "include";
    size_t compared = 0, programs = 0;
    uint32_t slot = 1;
    for (const char* dir : {"good", "fn"}) {
        for (const auto& entry : fs::directory_iterator(fs::path(CHIMA_TEST_DATA) / "p4" / dir)) {
            if (entry.path().extension() != ".p4")
                continue;
            std::string text = read_file(entry.path().string());
            p4::Diagnostics diags;
            auto fn = p4::check_function(text, entry.path().string(), "", fe, diags);
            if (!fn.control)
                continue;  // a corpus file for another purpose
            // The corpus names its controls and parameters freely; the merged program needs
            // one control per file, named apart from the template's.
            deploy::InjectedFunction f{slot, fn.control->name, text};
            std::string program = merged({f});
            bool compiled = false;
            std::string log;
            json theirs = p4c_info(program, compiled, log);
            if (theirs.is_null()) {
                MESSAGE(entry.path().filename().string()
                        << ": p4c wrote no P4Info (not compared):\n"
                        << log);
                continue;
            }
            compared += compare(theirs, our_info(program), entry.path().filename().string());
            ++programs;
            slot = slot % 63 + 1;
        }
    }
    MESSAGE(programs << " corpus programs, " << compared << " entities equal to p4c's");
    CHECK(programs > 20);
}

TEST_CASE("p4runtime info: a function's own P4Info at a slot is its part of the merged one") {
    if (!fs::exists(p4c_binary())) {
        test::skip_test_case(p4c_binary().string() + " is absent (../shared/tools/p4c)");
        return;
    }
    std::vector<deploy::InjectedFunction> fns = {function_at("firewall", 3),
                                                 function_at("dscp_marker", 12)};
    bool compiled = false;
    std::string log;
    json theirs = p4c_info(merged(fns), compiled, log);
    REQUIRE(!theirs.is_null());
    p4::FrontEndOptions fe;
    fe.include_dir = test::source_root() / "p4" / "include";
    // Template + each function's own entities put together, as the agent does from the
    // device config, is p4c's P4Info of the merged program.
    p4::Diagnostics diags;
    auto tmpl = p4::check_program(merged({}), "template.p4", fe, diags);
    REQUIRE(diags.empty());
    p4::P4rtEntities all = p4::p4rt_entities_from_json(p4::p4runtime_info(*tmpl));
    for (const auto& f : fns) {
        auto fn = p4::check_function(f.source, f.control + ".p4", f.control, fe, diags);
        REQUIRE(diags.empty());
        json own = p4::p4runtime_info(fn, f.slot);
        for (const auto& t : own.at("tables"))
            CHECK(t.at("preamble")
                      .at("name")
                      .get<std::string>()
                      .rfind("ChimaIngress.functions.fn_" + std::to_string(f.slot) + ".", 0) == 0);
        all.merge(p4::p4rt_entities_from_json(own));
    }
    CHECK(compare(theirs, p4::p4runtime_info(all), "template + functions") > 20);
}
