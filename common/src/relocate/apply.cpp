#include "chima/relocate/apply.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <future>

#include "chima/deploy/artifacts.hpp"
#include "chima/deploy/containers.hpp"
#include "chima/deploy/install.hpp"
#include "chima/deploy/routing.hpp"
#include "chima/state_file.hpp"

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

std::optional<json> read_if_exists(const std::string& path, const char* kind, int version) {
    if (path.empty() || !std::filesystem::exists(path)) return std::nullopt;
    return read_state(path, kind, version);
}

// installed.json = containers + P4 slots, as chima-install writes it.
json installed_doc(const Deployment& d, const std::string& net, json p4, json containers) {
    json doc = new_state(deploy::kInstalledKind, deploy::kInstalledVersion);
    doc["deployment"] = d.id;
    doc["net"] = net;
    json all = json::array();
    for (auto& f : containers) all.push_back(std::move(f));
    for (auto& f : p4) all.push_back(std::move(f));
    doc["functions"] = all;
    return doc;
}

}  // namespace

json apply_relocation(const Deployment& current, const Deployment& next, const ApplyFiles& files) {
    const int64_t t0 = wall_ns();
    auto artifacts = deploy::load_artifacts(files.artifacts);
    auto installed = read_if_exists(files.installed, deploy::kInstalledKind, deploy::kInstalledVersion);
    auto routes = read_if_exists(files.routes, deploy::kRoutesKind, deploy::kRoutesVersion);
    deploy::ContainerOptions copts;
    copts.backend = files.backend;

    int64_t p4_start = 0, p4_end = 0, ct_start = 0, ct_end = 0;
    json p4_functions, container_functions;
    try {
        // Devices in parallel: switch slots on one side, containers on the other.
        auto p4 = std::async(std::launch::async, [&] {
            p4_start = wall_ns();
            deploy::SlotChanges changes;
            p4_functions = deploy::install_p4_functions(next, artifacts, files.net, installed, changes);
            p4_end = wall_ns();
            spdlog::info("p4: {} slot(s) loaded, {} unchanged, {} emptied", changes.installed,
                         changes.unchanged, changes.cleared);
        });
        auto ct = std::async(std::launch::async, [&] {
            ct_start = wall_ns();
            deploy::ContainerChanges changes;
            container_functions = deploy::install_container_functions(next, files.net, installed,
                                                                      copts, changes);
            ct_end = wall_ns();
            spdlog::info("containers: {} started, {} unchanged, {} removed", changes.started,
                         changes.unchanged, changes.removed);
        });
        std::exception_ptr failure;
        for (auto* f : {&p4, &ct}) {
            try {
                f->get();
            } catch (...) {
                if (!failure) failure = std::current_exception();
            }
        }
        if (failure) std::rethrow_exception(failure);
    } catch (const std::exception& e) {
        spdlog::error("relocation failed ({}); putting deployment {} back", e.what(), current.id);
        try {
            deploy::SlotChanges s;
            deploy::ContainerChanges c;
            auto back_ct = deploy::install_container_functions(current, files.net, std::nullopt, copts, c);
            auto back_p4 = deploy::install_p4_functions(current, artifacts, files.net, std::nullopt, s);
            deploy::apply_routes(current, files.net, std::nullopt);
        } catch (const std::exception& again) {
            spdlog::error("putting the previous deployment back failed too: {}", again.what());
        }
        throw RuntimeError(std::string("relocation failed, previous deployment kept: ") + e.what());
    }

    // Make before break: the new instances serve; now switch the label stacks.
    const int64_t paths_start = wall_ns();
    json new_routes = deploy::apply_routes(next, files.net, routes);
    const int64_t paths_end = wall_ns();

    const int64_t meta_start = wall_ns();
    if (!files.routes.empty()) write_file_atomic(files.routes, new_routes.dump(2) + "\n");
    if (!files.installed.empty()) {
        write_file_atomic(files.installed,
                          installed_doc(next, files.net, p4_functions, container_functions).dump(2) +
                              "\n");
    }
    if (!files.deployment_out.empty()) write_file_atomic(files.deployment_out, to_json(next).dump(2) + "\n");
    const int64_t meta_end = wall_ns();

    return {{"type", "timeline"},
            {"from", current.id},
            {"to", next.id},
            {"p4", span(p4_start, p4_end)},
            {"containers", span(ct_start, ct_end)},
            {"paths", span(paths_start, paths_end)},
            {"metadata", span(meta_start, meta_end)},
            {"total", span(t0, meta_end)}};
}

}  // namespace chima::relocate
