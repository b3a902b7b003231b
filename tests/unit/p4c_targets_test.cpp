// Hardware P4 targets (issue 14): what chima-compile emits for a v1model switch compiles
// with the real p4c, against p4c's own core.p4 and v1model.p4 only -- the template and the
// merged program of every switch of every example scenario, with p4test and p4c-bm2-ss;
// p4c's P4Info of each names the tables and actions ours does; chima-compile calls p4c
// itself and records its outputs for a p4runtime switch; and the P4Runtime requests of
// `chima-install --dry-run` use only ids of p4c's P4Info, with values that fit its widths.
// Skips, saying so, where ../shared/tools/p4c is absent.
#include <doctest/doctest.h>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "chima/compose/compose.hpp"
#include "chima/deploy/compile_deployment.hpp"
#include "chima/deploy/p4runtime_requests.hpp"
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

bool p4c_absent() {
    if (fs::exists(test::p4c_bin("p4test")) && fs::exists(test::p4c_bin("p4c-bm2-ss")))
        return false;
    test::skip_test_case(test::p4c_bin("").string() + " is absent (../shared/tools/p4c)");
    return true;
}

Deployment compose_example(const fs::path& dir) {
    ComposeInput in;
    in.topology = load_topology((dir / "topology.yaml").string());
    in.service = load_service((dir / "service.yaml").string());
    in.placement = load_placement((dir / "placement.yaml").string());
    return compose(in);
}

chima::p4::FrontEndOptions front_end() {
    chima::p4::FrontEndOptions o;
    o.include_dir = test::source_root() / "p4" / "include";
    return o;
}

// Every switch's merged program of a deployment, as chima-compile merges it.
std::map<std::string, std::string> merged_programs(const Deployment& d) {
    std::map<std::string, std::vector<deploy::InjectedFunction>> per_switch;
    for (const auto& f : d.functions) {
        if (f.spec.type != FunctionType::P4)
            continue;
        std::string text = read_file(f.spec.file);
        chima::p4::Diagnostics diags;
        auto fn = chima::p4::check_function(text, f.spec.file, f.spec.control, front_end(), diags);
        REQUIRE(fn.control);
        per_switch[f.node].push_back({f.slot, fn.control->name, text});
    }
    std::string tmpl = read_file((test::source_root() / "p4" / "chima.p4").string());
    std::map<std::string, std::string> out;
    for (auto& [sw, fns] : per_switch) {
        std::sort(fns.begin(), fns.end(), [](auto& a, auto& b) { return a.slot < b.slot; });
        out[sw] = deploy::merge_program(tmpl, fns, test::source_root() / "p4");
    }
    return out;
}

// Runs the specs, at most two at once (p4c takes seconds; the machine has two cores).
std::vector<process::Result> run_all(const std::vector<process::Spec>& specs) {
    std::vector<process::Result> results(specs.size());
    std::atomic<size_t> next{0};
    auto worker = [&] {
        for (size_t i = next++; i < specs.size(); i = next++)
            results[i] = process::run(specs[i], std::chrono::minutes(5));
    };
    std::thread a(worker), b(worker);
    a.join();
    b.join();
    return results;
}

std::set<std::string> names(const json& info, const char* list) {
    std::set<std::string> out;
    for (const auto& e : info.value(list, json::array()))
        out.insert(e.at("preamble").at("name").get<std::string>());
    return out;
}

}  // namespace

TEST_CASE(
    "p4c targets: the template and every example's merged programs compile with p4test "
    "and p4c-bm2-ss on p4c's own includes, and p4c's P4Info names our tables and actions") {
    if (p4c_absent())
        return;
    // The template as it stands in p4/, then each distinct merged program (switches with the
    // same functions at the same slots share one), written apart from p4/.
    std::map<std::string, std::string> programs;  // text -> what
    programs[read_file((test::source_root() / "p4" / "chima.p4").string())] = "p4/chima.p4";
    size_t scenarios = 0, switches = 0;
    for (const auto& entry : fs::directory_iterator(test::source_root() / "examples")) {
        if (!fs::exists(entry.path() / "placement.yaml"))
            continue;
        ++scenarios;
        for (const auto& [sw, text] : merged_programs(compose_example(entry.path()))) {
            ++switches;
            programs.emplace(text, entry.path().filename().string() + "/" + sw);
        }
    }
    CHECK(scenarios >= 6);
    test::TempDir dir{"chima-p4ct"};
    std::vector<std::string> whats;
    std::vector<fs::path> infos;
    std::vector<process::Spec> specs;
    std::vector<std::string> texts;
    std::vector<fs::path> sources;
    for (const auto& [text, what] : programs) {
        size_t i = whats.size();
        fs::path src = what == "p4/chima.p4" ? test::source_root() / "p4" / "chima.p4"
                                             : dir.path / ("program" + std::to_string(i) + ".p4");
        if (what != "p4/chima.p4")
            write_file_atomic(src.string(), text);
        fs::path info = dir.path / ("program" + std::to_string(i) + ".p4info.json");
        process::Spec test, bm2;
        // No -I: p4c's own core.p4 and v1model.p4, and nothing of p4/include but the types
        // the program names itself.
        test.argv = {chima::test::p4c_bin("p4test").string(), src.string()};
        bm2.argv = {chima::test::p4c_bin("p4c-bm2-ss").string(),
                    "--arch",
                    "v1model",
                    "-o",
                    (dir.path / ("program" + std::to_string(i) + ".json")).string(),
                    "--p4runtime-files",
                    info.string(),
                    src.string()};
        specs.push_back(test);
        specs.push_back(bm2);
        whats.push_back(what);
        infos.push_back(info);
        texts.push_back(text);
        sources.push_back(src);
    }
    auto results = run_all(specs);
    for (size_t i = 0; i < whats.size(); ++i) {
        const auto& test = results[2 * i];
        const auto& bm2 = results[2 * i + 1];
        CHECK_MESSAGE(test.status.ok(), whats[i] << ": p4test refused it:\n" << test.err);
        CHECK_MESSAGE(bm2.status.ok(), whats[i] << ": p4c-bm2-ss refused it:\n" << bm2.err);
        if (!bm2.status.ok())
            continue;
        json theirs = json::parse(read_file(infos[i].string()));
        chima::p4::Diagnostics diags;
        auto prog = chima::p4::check_program(texts[i], sources[i].string(), front_end(), diags);
        REQUIRE_MESSAGE(diags.empty(), whats[i] << ": " << diags.list().front().str());
        json ours = chima::p4::p4runtime_info(*prog);
        CHECK_MESSAGE(names(theirs, "tables") == names(ours, "tables"), whats[i]);
        CHECK_MESSAGE(names(theirs, "actions") == names(ours, "actions"), whats[i]);
        CHECK(names(theirs, "tables").count("ChimaIngress.forwarding"));
    }
    MESSAGE(scenarios << " scenarios, " << switches << " switches, " << whats.size()
                      << " distinct programs compiled by p4test and p4c-bm2-ss");
    CHECK(whats.size() >= 2);  // the template and at least one merged program
    CHECK(switches >= 6);
}

TEST_CASE(
    "p4c targets: chima-compile runs p4c for a p4runtime switch and records its outputs, and "
    "the dry run's requests use only p4c's ids and widths") {
    if (p4c_absent())
        return;
    Deployment d = compose_example(test::source_root() / "examples" / "minimal");
    // s1 a v1model switch (with the minimal scenario's functions on it, if any); a second
    // p4runtime switch without functions gets the template alone.
    std::set<std::string> with_functions;
    for (const auto& f : d.functions)
        if (f.spec.type == FunctionType::P4)
            with_functions.insert(f.node);
    REQUIRE(!with_functions.empty());
    std::string sw = *with_functions.begin();
    std::string bare;
    for (auto& s : d.topology.switches) {
        if (s.name == sw)
            s.target = SwitchTarget::P4Runtime;
        else if (bare.empty() && !with_functions.count(s.name)) {
            s.target = SwitchTarget::P4Runtime;
            bare = s.name;
        }
    }
    test::TempDir dir{"chima-p4ct"};
    deploy::CompileDeploymentOptions opts;
    opts.build_dir = dir.path;
    opts.p4c = test::p4c_bin("p4c-bm2-ss").string();
    auto r = deploy::compile_deployment(d, opts);
    fs::path artifacts = dir.path / "artifacts.json";
    write_file_atomic(artifacts.string(), r.artifacts.dump(2));
    std::map<std::string, json> recorded;
    for (const auto& s : r.artifacts.at("switches"))
        recorded[s.at("name")] = s;
    REQUIRE(recorded.count(sw));
    CHECK(recorded[sw].at("target") == "p4runtime");
    CHECK(recorded[sw].at("p4c") == "ok");
    if (!bare.empty()) {
        REQUIRE_MESSAGE(recorded.count(bare), "a p4runtime switch without functions");
        CHECK(recorded[bare].at("p4c") == "ok");
    }
    fs::path bmv2 = recorded[sw].at("bmv2_json").get<std::string>();
    fs::path info_file = recorded[sw].at("p4c_p4info").get<std::string>();
    REQUIRE(fs::exists(bmv2));
    REQUIRE(fs::exists(info_file));
    CHECK(json::parse(read_file(bmv2.string())).contains("pipelines"));  // bmv2's JSON
    auto info = deploy::read_p4info_text(info_file.string());

    json all = deploy::v1model_dry_run(d, artifacts.string(), {});
    json doc;
    for (const auto& x : all)
        if (x.at("switch") == sw)
            doc = x;
    REQUIRE(doc.is_object());
    const json& push = doc.at("requests").at(0).at("set_forwarding_pipeline_config");
    CHECK(push.at("action") == "VERIFY_AND_COMMIT");
    // The request itself (protobuf), checked against p4c's P4Info.
    std::map<std::string, json> fn_infos;
    for (const auto& f : r.artifacts.at("functions"))
        fn_infos[f.at("chain").get<std::string>() + "/" + f.at("name").get<std::string>()] =
            json::parse(read_file(f.at("p4info").get<std::string>()));
    auto reqs = deploy::v1model_requests(d, sw, fn_infos, info, read_file(bmv2.string()), {});
    CHECK(reqs.pipeline.config().p4_device_config() == read_file(bmv2.string()));
    CHECK(reqs.pipeline.config().p4info().tables_size() == info.tables_size());
    std::map<uint32_t, const ::p4::config::v1::Table*> tables;
    std::map<uint32_t, const ::p4::config::v1::Action*> actions;
    for (const auto& t : info.tables())
        tables[t.preamble().id()] = &t;
    for (const auto& a : info.actions())
        actions[a.preamble().id()] = &a;
    REQUIRE(reqs.entries.updates_size() > 2);
    std::set<std::string> written;
    for (const auto& u : reqs.entries.updates()) {
        const auto& e = u.entity().table_entry();
        REQUIRE_MESSAGE(tables.count(e.table_id()), "table id " << e.table_id());
        const auto& table = *tables[e.table_id()];
        written.insert(table.preamble().name());
        std::string what = table.preamble().name();
        for (const auto& m : e.match()) {
            const ::p4::config::v1::MatchField* mf = nullptr;
            for (const auto& f : table.match_fields())
                if (f.id() == m.field_id())
                    mf = &f;
            REQUIRE_MESSAGE(mf, what << ": field id " << m.field_id());
            size_t max_bytes = (mf->bitwidth() + 7) / 8;
            std::string value = m.has_exact()     ? m.exact().value()
                                : m.has_lpm()     ? m.lpm().value()
                                : m.has_ternary() ? m.ternary().value()
                                                  : std::string();
            CHECK_MESSAGE(!value.empty(), what << "." << mf->name());
            CHECK_MESSAGE(value.size() <= max_bytes, what << "." << mf->name());
            if (m.has_lpm())
                CHECK(m.lpm().prefix_len() <= mf->bitwidth());
        }
        const auto& act = e.action().action();
        REQUIRE_MESSAGE(actions.count(act.action_id()), what << ": action id " << act.action_id());
        bool allowed = false;
        for (const auto& ref : table.action_refs())
            allowed |= ref.id() == act.action_id();
        CHECK_MESSAGE(allowed, what << ": action not in the table");
        const auto& action = *actions[act.action_id()];
        CHECK(act.params_size() == action.params_size());
        for (const auto& p : act.params()) {
            bool found = false;
            for (const auto& ap : action.params())
                if (ap.id() == p.param_id()) {
                    found = true;
                    CHECK(p.value().size() <= static_cast<size_t>((ap.bitwidth() + 7) / 8));
                }
            CHECK_MESSAGE(found, what << ": param id " << p.param_id());
        }
    }
    CHECK(written.count("ChimaIngress.switch_config"));
    CHECK(written.count("ChimaIngress.forwarding"));
    CHECK(written.count("ChimaIngress.mac_forwarding"));
    // The printed JSON is the same requests.
    CHECK(doc.at("requests").at(1).at("write").at("updates").size() ==
          static_cast<size_t>(reqs.entries.updates_size()));
}
