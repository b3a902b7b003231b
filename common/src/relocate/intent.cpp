#include "chima/relocate/intent.hpp"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <set>

#include <unistd.h>

#include "chima/deploy/artifacts.hpp"
#include "chima/deploy/containers.hpp"
#include "chima/deploy/routing.hpp"
#include "chima/error.hpp"
#include "chima/file_lock.hpp"
#include "chima/model/json_reader.hpp"
#include "chima/model/routes.hpp"
#include "chima/staged_file.hpp"
#include "chima/state_file.hpp"

namespace chima::relocate {

using nlohmann::json;

namespace {

constexpr const char* kIntentKind = "relocation-intent";
constexpr int kIntentVersion = 1;

json slots_json(const std::vector<deploy::SlotRef>& slots) {
    json out = json::array();
    for (const auto& s : slots)
        out.push_back({{"function", s.function}, {"node", s.node}, {"slot", s.slot}});
    return out;
}

std::vector<deploy::SlotRef> slots_from(const JsonReader& r) {
    std::vector<deploy::SlotRef> out;
    for (const auto& s : r.items())
        out.push_back({s.at("function").str(), s.at("node").str(), s.at("slot").uint32()});
    return out;
}

json instances_json(const std::vector<InstalledFunction>& instances) {
    json out = json::array();
    for (const auto& f : instances)
        out.push_back(to_json(f));
    return out;
}

std::vector<InstalledFunction> instances_from(const JsonReader& r, const std::string& file) {
    std::vector<InstalledFunction> out;
    for (const auto& f : r.items())
        out.push_back(installed_function_from_json(f.raw(), file, f.pointer()));
    return out;
}

// Runs one recovery step; a failure is logged and remembered, the other steps still run.
class Steps {
  public:
    void run(const char* what, const std::function<void()>& step) {
        try {
            step();
        } catch (const std::exception& e) {
            spdlog::error("recovering: {} failed: {}", what, e.what());
            if (failed_.empty())
                failed_ = std::string(what) + ": " + e.what();
        }
    }
    const std::string& failed() const { return failed_; }

  private:
    std::string failed_;
};

// Make phase: the old deployment still serves (its instances and slots were never taken
// down); everything the relocation may have created that the old one does not use goes.
void undo(const RelocationIntent& intent, device::DeviceRegistry& devices, Steps& steps) {
    const Deployment& current = intent.current;
    steps.run("restoring the label stacks", [&] {
        deploy::switch_routes(current, intent.net, devices, routes_of(intent.next, intent.net));
    });
    steps.run("removing the new containers", [&] {
        std::set<std::string> serving;
        if (intent.installed) {
            for (const InstalledFunction* f : intent.installed->of_type(FunctionType::Container))
                serving.insert(f->container.instance);
        }
        std::vector<InstalledFunction> created;
        for (const auto& c : intent.containers)
            if (!serving.count(c.container.instance))
                created.push_back(c);
        deploy::remove_container_instances(devices, created);
    });
    steps.run("restoring the slots", [&] {
        deploy::restore_p4_slots(current, deploy::load_artifacts(intent.artifacts), devices,
                                 intent.installed, intent.slots);
    });
    steps.run("restoring the forwarding entries",
              [&] { deploy::prepare_forwarding(current, devices); });
    steps.run("removing the staged state files", [&] {
        for (const auto& [path, temp] : intent.staged)
            remove_stale_temps(path);
    });
}

// Publish phase: the new deployment serves; what is left is making its state files visible
// and taking the old instances down.
void finish(const RelocationIntent& intent, device::DeviceRegistry& devices, Steps& steps) {
    steps.run("publishing the state files", [&] {
        for (const auto& [path, temp] : intent.staged) {
            if (!std::filesystem::exists(temp))
                continue;  // published before the run ended
            if (std::rename(temp.c_str(), path.c_str()) != 0)
                throw_errno("cannot rename " + temp + " to " + path);
        }
    });
    steps.run("emptying the old slots", [&] { deploy::clear_p4_slots(devices, intent.stale); });
    steps.run("removing the old containers",
              [&] { deploy::remove_container_instances(devices, intent.retire); });
}

}  // namespace

json to_json(const RelocationIntent& intent) {
    json doc = new_state(kIntentKind, kIntentVersion);
    doc["phase"] = intent.phase == RelocationIntent::Phase::Make ? "make" : "publish";
    doc["net"] = intent.net;
    doc["current"] = to_json(intent.current);
    doc["next"] = to_json(intent.next);
    if (intent.installed)
        doc["installed"] = to_json(*intent.installed);
    doc["artifacts"] = intent.artifacts;
    doc["containers"] = instances_json(intent.containers);
    doc["slots"] = slots_json(intent.slots);
    json staged = json::array();
    for (const auto& [path, temp] : intent.staged)
        staged.push_back({{"path", path}, {"temp", temp}});
    doc["staged"] = staged;
    doc["retire"] = instances_json(intent.retire);
    doc["stale"] = slots_json(intent.stale);
    return doc;
}

RelocationIntent intent_from_json(const json& doc, const std::string& file) {
    JsonReader r(doc, file);
    check_state_header(r, kIntentKind, kIntentVersion);
    RelocationIntent intent;
    std::string phase = r.at("phase").str();
    if (phase == "make")
        intent.phase = RelocationIntent::Phase::Make;
    else if (phase == "publish")
        intent.phase = RelocationIntent::Phase::Publish;
    else
        r.at("phase").fail("unknown phase '" + phase + "' (expected make or publish)");
    intent.net = r.at("net").str();
    intent.current = deployment_from_json(doc.at("current"), file);
    intent.next = deployment_from_json(doc.at("next"), file);
    if (r.has("installed"))
        intent.installed = installed_from_json(doc.at("installed"), file);
    intent.artifacts = r.at("artifacts").str();
    intent.containers = instances_from(r.at("containers"), file);
    intent.slots = slots_from(r.at("slots"));
    for (const auto& s : r.at("staged").items())
        intent.staged.emplace_back(s.at("path").str(), s.at("temp").str());
    intent.retire = instances_from(r.at("retire"), file);
    intent.stale = slots_from(r.at("stale"));
    return intent;
}

std::string intent_path(const std::string& net) {
    return network_run_dir(net) + "/relocation-intent.json";
}

void record_intent(const RelocationIntent& intent) {
    write_file_atomic(intent_path(intent.net), to_json(intent).dump() + "\n");
}

void clear_intent(const std::string& net) {
    std::string path = intent_path(net);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
        throw_errno("cannot remove " + path);
}

json Recovery::to_json() const {
    return {{"type", "recovery"}, {"action", action}, {"from", from}, {"to", to}};
}

std::optional<Recovery> recover_relocation(const std::string& net,
                                           device::DeviceRegistry& devices) {
    std::string path = intent_path(net);
    if (!std::filesystem::exists(path))
        return std::nullopt;
    RelocationIntent intent = intent_from_json(read_state(path, kIntentKind, kIntentVersion), path);
    const bool finishing = intent.phase == RelocationIntent::Phase::Publish;
    spdlog::warn("a relocation of {} from {} to {} was interrupted; {} it", net, intent.current.id,
                 intent.next.id, finishing ? "finishing" : "undoing");
    Steps steps;
    if (finishing)
        finish(intent, devices, steps);
    else
        undo(intent, devices, steps);
    if (!steps.failed().empty()) {
        throw RuntimeError("recovering the interrupted relocation of " + net + " failed (" +
                           steps.failed() + "); " + path + " is kept for the next run");
    }
    clear_intent(net);
    Recovery done{finishing ? "finished" : "undone", intent.current.id, intent.next.id,
                  finishing ? intent.next : intent.current};
    spdlog::info("interrupted relocation {}: deployment {} serves", done.action,
                 finishing ? intent.next.id : intent.current.id);
    return done;
}

}  // namespace chima::relocate
