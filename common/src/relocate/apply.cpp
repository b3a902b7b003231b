#include "chima/relocate/apply.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <set>

#include "chima/deploy/artifacts.hpp"
#include "chima/deploy/containers.hpp"
#include "chima/deploy/install.hpp"
#include "chima/deploy/routing.hpp"
#include "chima/model/installed.hpp"
#include "chima/model/routes.hpp"
#include "chima/relocate/intent.hpp"
#include "chima/staged_file.hpp"

namespace chima::relocate {

using nlohmann::json;

namespace {

int64_t wall_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

json span(int64_t start, int64_t end) {
    return {{"start_ns", start}, {"end_ns", end}, {"ns", end - start}};
}

// A state file of the previous run, when there is one.
template <typename Doc>
std::optional<Doc> read_if_exists(const std::string& path, Doc (*load)(const std::string&)) {
    if (path.empty() || !std::filesystem::exists(path))
        return std::nullopt;
    return load(path);
}

// installed.json = containers + P4 slots, as chima-install writes it.
Installed installed_doc(const Deployment& d, const std::string& net,
                        std::vector<InstalledFunction> p4,
                        std::vector<InstalledFunction> containers) {
    Installed doc;
    doc.deployment = d.id;
    doc.net = net;
    doc.functions = std::move(containers);
    for (auto& f : p4)
        doc.functions.push_back(std::move(f));
    return doc;
}

// Runs `steps` each on its own thread; waits for all; rethrows the first failure. Returns
// which ones succeeded.
std::vector<bool> run_parallel(const std::vector<std::function<void()>>& steps,
                               std::exception_ptr& failure) {
    std::vector<std::future<void>> running;
    for (const auto& step : steps)
        running.push_back(std::async(std::launch::async, step));
    std::vector<bool> ok;
    for (auto& r : running) {
        try {
            r.get();
            ok.push_back(true);
        } catch (...) {
            ok.push_back(false);
            if (!failure)
                failure = std::current_exception();
        }
    }
    return ok;
}

// The state files of the new deployment, written and fsynced concurrently (in parallel
// their fsyncs share journal commits), not yet visible.
std::vector<StagedFile> stage_files(const ApplyFiles& files, const json& routes,
                                    const json& installed, const json& deployment) {
    std::vector<std::pair<std::string, const json*>> wanted;
    if (!files.routes.empty())
        wanted.push_back({files.routes, &routes});
    if (!files.installed.empty())
        wanted.push_back({files.installed, &installed});
    if (!files.deployment_out.empty())
        wanted.push_back({files.deployment_out, &deployment});
    std::vector<std::future<StagedFile>> writing;
    for (const auto& [path, doc] : wanted) {
        writing.push_back(std::async(std::launch::async, [path = path, doc = doc] {
            return StagedFile(path, doc->dump(2) + "\n");
        }));
    }
    std::vector<StagedFile> out;
    std::exception_ptr failure;
    for (auto& w : writing) {
        try {
            out.push_back(w.get());
        } catch (...) {
            if (!failure)
                failure = std::current_exception();
        }
    }
    if (failure)
        std::rethrow_exception(failure);
    return out;
}

}  // namespace

json apply_relocation(const Deployment& current, const Deployment& next, const ApplyFiles& files,
                      device::DeviceRegistry& devices) {
    const int64_t t0 = wall_ns();
    auto artifacts = deploy::load_artifacts(files.artifacts);
    auto installed = read_if_exists(files.installed, load_installed);
    auto routes = read_if_exists(files.routes, load_routes);
    deploy::ContainerOptions copts;
    copts.backend = files.backend;
    // Every input checked before the first device changes (an InputError, exit 2, with the
    // network as it was): the objects and build contexts of `next`, stale state files.
    deploy::check_p4_inputs(next, artifacts, files.artifacts);
    deploy::check_container_inputs(next, files.net, installed, files.installed, copts);
    deploy::check_route_inputs(next, files.net, routes, files.routes);

    int64_t p4_start = 0, p4_end = 0, ct_start = 0, ct_end = 0, prep_start = 0, prep_end = 0;
    deploy::SlotLoad slots;
    deploy::ContainerStart containers;
    deploy::SlotChanges slot_changes;
    deploy::ContainerChanges container_changes;
    bool slots_touched = false, containers_started = false, stacks_touched = false;
    int64_t stage_start = 0, stage_end = 0, paths_start = 0, paths_end = 0;
    deploy::RouteChanges route_changes;
    std::vector<StagedFile> staged;

    // The intent, on disk before anything is created: every slot and instance this run may
    // create, so that a run killed from here on leaves nothing no file describes.
    RelocationIntent intent;
    intent.net = files.net;
    intent.current = current;
    intent.next = next;
    intent.installed = installed;
    intent.artifacts = files.artifacts;
    intent.containers = deploy::planned_instances(next, files.net, installed, files.backend);
    for (const auto& f : next.functions)
        if (f.spec.type == FunctionType::P4)
            intent.slots.push_back({f.chain + "/" + f.spec.name, f.node, f.slot});
    for (const std::string* path : {&files.routes, &files.installed, &files.deployment_out})
        if (!path->empty())
            intent.staged.emplace_back(*path, "");
    record_intent(intent);
    try {
        // Make. The P4 slots first, on their own: a few slot loads take 1-2 ms alone, but
        // 2-17 ms beside the container starts and namespace changes that keep both cores of a
        // small host busy, and the containers take a hundred times longer anyway. Then the
        // containers (each function on its own thread) and what the new paths need before
        // they carry traffic (forwarding and neighbour entries for the new function
        // addresses), in parallel. Nothing old changes here.
        p4_start = wall_ns();
        slots_touched = true;
        deploy::load_p4_functions(next, artifacts, devices, installed, slots, slot_changes);
        p4_end = wall_ns();
        spdlog::info("p4: {} slot(s) loaded, {} unchanged", slot_changes.installed,
                     slot_changes.unchanged);
        std::exception_ptr failure;
        auto ok = run_parallel(
            {[&] {
                 ct_start = wall_ns();
                 deploy::start_container_functions(next, files.net, devices, installed, copts,
                                                   containers, container_changes);
                 ct_end = wall_ns();
                 spdlog::info("containers: {} started and serving, {} unchanged",
                              container_changes.started, container_changes.unchanged);
             },
             [&] {
                 prep_start = wall_ns();
                 size_t n = deploy::prepare_forwarding(next, devices);
                 prep_end = wall_ns();
                 spdlog::info("forwarding: {} entries and the function neighbours in place", n);
             }},
            failure);
        containers_started = ok[0];
        if (failure)
            std::rethrow_exception(failure);

        // What the switch changes, and the state files describing the network after it,
        // written and fsynced now; publishing them afterwards is a rename each.
        stage_start = wall_ns();
        route_changes = deploy::plan_routes(next, files.net, devices, routes);
        staged = stage_files(
            files, to_json(route_changes.doc),
            to_json(installed_doc(next, files.net, slots.functions, containers.functions)),
            to_json(next));
        stage_end = wall_ns();

        // The switch: the label stacks at the clients, each flow in one atomic map update.
        paths_start = wall_ns();
        stacks_touched = true;
        deploy::commit_routes(devices, route_changes);
        paths_end = wall_ns();

        // The new deployment serves: from here a killed run is finished, not undone.
        intent.phase = RelocationIntent::Phase::Publish;
        intent.staged.clear();
        for (const auto& f : staged)
            intent.staged.emplace_back(f.path(), f.temp());
        intent.retire = containers.retire;
        intent.stale = slots.stale;
        record_intent(intent);
    } catch (const std::exception& e) {
        spdlog::error(
            "relocation failed ({}); deployment {} keeps serving, removing what was "
            "started of {}",
            e.what(), current.id, next.id);
        // Undo in reverse order; each part on its own so one failure does not stop the rest.
        bool undone = true;
        auto undo = [&undone](const char* what, const std::function<void()>& step) {
            try {
                step();
            } catch (const std::exception& again) {
                spdlog::error("undoing {} failed: {}", what, again.what());
                undone = false;
            }
        };
        if (stacks_touched) {
            // The flows and watches of `next` named, so that those `current` lacks go again.
            undo("the label stacks", [&] {
                deploy::switch_routes(current, files.net, devices, routes_of(next, files.net));
            });
        }
        if (containers_started) {
            undo("the new containers",
                 [&] { deploy::remove_container_instances(devices, containers.started); });
        }
        if (slots_touched) {
            undo("the new slots", [&] {
                deploy::restore_p4_slots(current, artifacts, devices, installed, slots.loaded);
            });
        }
        if (undone)
            clear_intent(files.net);  // else the next run tries again (recover_relocation)
        throw RuntimeError(std::string("relocation failed, previous deployment kept: ") + e.what());
    }

    // The state files: their content is on disk already (staged); each appears atomically.
    // They describe the new deployment from here; the old instances still running are in
    // the intent until they are gone.
    const int64_t meta_start = wall_ns();
    publish(staged);
    const int64_t meta_end = wall_ns();

    // Break, last: the old instances and slots nothing routes to any more.
    const int64_t retire_start = wall_ns();
    try {
        size_t cleared = deploy::clear_p4_slots(devices, slots.stale);
        size_t removed = deploy::remove_container_instances(devices, containers.retire);
        spdlog::info("old instances removed: {} slot(s) emptied, {} container(s)", cleared,
                     removed);
        clear_intent(files.net);
    } catch (const std::exception& e) {
        // The new deployment serves; an old instance left over is only a leak, and the intent
        // kept names it: the next run that changes this network takes it down.
        spdlog::warn("removing the old instances: {} (left to the next run)", e.what());
    }
    const int64_t retire_end = wall_ns();

    return {{"type", "timeline"},
            {"from", current.id},
            {"to", next.id},
            {"p4", span(p4_start, p4_end)},
            {"containers", span(ct_start, ct_end)},
            {"prepare", span(prep_start, prep_end)},
            {"stage", span(stage_start, stage_end)},
            {"paths", span(paths_start, paths_end)},
            {"metadata", span(meta_start, meta_end)},
            {"retire", span(retire_start, retire_end)},
            {"total", span(t0, retire_end)}};
}

}  // namespace chima::relocate
