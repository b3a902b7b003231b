// Crash safety of a relocation (relocate/intent.hpp): chima-relocate killed at any device
// operation leaves a network that the next run finishes or undoes, ending in one consistent
// deployment -- the old one or the new one, every instance and slot recorded, no intent file
// and no temporary file left. The devices are in memory: a killed run is SimulatedCrash,
// after which no device operation of that run happens.
#include <stdlib.h>

#include "chima/relocate/intent.hpp"
#include "chima/staged_file.hpp"
#include "device_lab.hpp"

namespace {

// Every file in `dir` whose name marks a temporary file of an atomic write.
std::vector<std::string> temp_files(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.path().filename().string().find(".tmp") != std::string::npos)
            out.push_back(e.path().string());
    return out;
}

// What serves, each slot's object named by its file name only (every lab has its own
// directory), so that two labs compare.
Serving portable(Serving s) {
    for (auto& [node, slots] : s.slots)
        for (auto& [slot, object] : slots)
            object = fs::path(object).filename().string();
    return s;
}

std::string join(const std::set<std::string>& items) {
    std::string out;
    for (const auto& i : items)
        out += (out.empty() ? "" : ", ") + i;
    return out;
}

}  // namespace

TEST_CASE("relocation crash: killed at any device operation, the next run ends consistent") {
    Deployment d = minimal();
    Deployment next = off_the_odd_rail(d);

    // What a relocation that is not interrupted does, step by step, and leaves behind.
    std::vector<std::string> steps;
    Serving relocated_serving;
    {
        Lab lab(d);
        relocate::apply_relocation(d, next, lab.files, *lab.devices);
        steps = lab.journal.entries();
        relocated_serving = portable(serving(lab, {&d, &next}));
        CHECK_FALSE(fs::exists(relocate::intent_path(kNet)));
    }
    REQUIRE(steps.size() > 10);

    std::set<std::string> actions;
    for (const auto& step : steps) {
        CAPTURE(step);
        Lab lab(d);
        Serving before = serving(lab, {&d, &next});
        std::string installed = text(lab.files.installed), routes = text(lab.files.routes);

        // The entry up to a file path (the lab's directory differs from run to run).
        lab.journal.crash_at(step.substr(0, step.find('/')));
        CHECK_THROWS_AS(relocate::apply_relocation(d, next, lab.files, *lab.devices),
                        device::SimulatedCrash);
        // What the dead run left is described: the intent file is there.
        REQUIRE(fs::exists(relocate::intent_path(kNet)));

        lab.journal.revive();  // the next run
        auto recovery = relocate::recover_relocation(kNet, *lab.devices);
        REQUIRE(recovery.has_value());
        actions.insert(recovery->action);
        if (recovery->action == "undone") {
            // The old deployment serves as before, its state files untouched.
            CHECK(recovery->serving.id == d.id);
            CHECK(serving(lab, {&d, &next}) == before);
            CHECK(text(lab.files.installed) == installed);
            CHECK(text(lab.files.routes) == routes);
        } else {
            REQUIRE(recovery->action == "finished");
            CHECK(recovery->serving.id == next.id);
            CHECK(portable(serving(lab, {&d, &next})) == relocated_serving);
            CHECK(load_installed(lab.files.installed).deployment == next.id);
            CHECK(load_routes(lab.files.routes).deployment == next.id);
        }
        // Every instance running is one installed.json records.
        std::set<std::string> recorded, running;
        Installed now = load_installed(lab.files.installed);
        for (const auto* f : now.of_type(FunctionType::Container))
            recorded.insert(f->node + " " + f->container.instance);
        for (const auto& h : d.topology.hosts)
            for (const auto& instance : lab.host_of(h.name).running())
                running.insert(h.name + " " + instance);
        INFO("running: " << join(running) << " recorded: " << join(recorded));
        CHECK(running == recorded);
        CHECK_FALSE(fs::exists(relocate::intent_path(kNet)));
        CHECK(temp_files(lab.dir.path()).empty());
        // And nothing is left for a later run to do.
        CHECK_FALSE(relocate::recover_relocation(kNet, *lab.devices).has_value());
    }
    // Kills before the switch are undone, kills after it finished.
    CHECK(actions == std::set<std::string>{"finished", "undone"});
}

TEST_CASE("relocation crash: killed while publishing, the staged state files are published") {
    Deployment d = minimal();
    Deployment next = echo_moved(d);
    Lab lab(d);
    Installed old = load_installed(lab.files.installed);

    // What a run killed between the publish record and its renames leaves: staged files
    // (unlocked temporary files beside their targets) and the old instances still running.
    std::string temp = (lab.dir.path() / ".installed.json.tmpKiLLed").string();
    Installed done = old;
    done.deployment = next.id;
    write_file_atomic(temp, to_json(done).dump(2));
    relocate::RelocationIntent intent;
    intent.phase = relocate::RelocationIntent::Phase::Publish;
    intent.net = kNet;
    intent.current = d;
    intent.next = next;
    intent.installed = old;
    intent.artifacts = lab.files.artifacts;
    intent.staged = {{lab.files.installed, temp}};
    for (const auto* f : old.of_type(FunctionType::Container))
        if (f->name == "echo")
            intent.retire.push_back(*f);
    REQUIRE(intent.retire.size() == 1);
    relocate::record_intent(intent);

    auto recovery = relocate::recover_relocation(kNet, *lab.devices);
    REQUIRE(recovery.has_value());
    CHECK(recovery->action == "finished");
    CHECK(load_installed(lab.files.installed).deployment == next.id);
    CHECK_FALSE(fs::exists(temp));
    const auto& echo = intent.retire.front();
    CHECK(lab.journal.matching(echo.node + " stop " + echo.container.instance).size() == 1);
    CHECK(lab.host_of(echo.node).running().count(echo.container.instance) == 0);
    CHECK_FALSE(fs::exists(relocate::intent_path(kNet)));
}

TEST_CASE("relocation crash: a recovery that fails keeps the intent for the next run") {
    Deployment d = minimal();
    Deployment next = off_the_odd_rail(d);
    Lab lab(d);
    lab.journal.crash_at("* start");
    CHECK_THROWS_AS(relocate::apply_relocation(d, next, lab.files, *lab.devices),
                    device::SimulatedCrash);
    lab.journal.revive();
    lab.journal.fail_next("* prefix_route");  // the forwarding cannot be restored this time
    CHECK_THROWS_AS(relocate::recover_relocation(kNet, *lab.devices), RuntimeError);
    CHECK(fs::exists(relocate::intent_path(kNet)));
    auto again = relocate::recover_relocation(kNet, *lab.devices);
    REQUIRE(again.has_value());
    CHECK(again->action == "undone");
    CHECK_FALSE(fs::exists(relocate::intent_path(kNet)));
}

TEST_CASE("relocation intent: a bad record is refused naming the JSON path") {
    CHECK_THROWS_WITH_AS(
        relocate::intent_from_json(
            json{{"kind", "relocation-intent"}, {"version", 1}, {"phase", "halfway"}}, "i.json"),
        doctest::Contains("/phase"), InputError);
}
