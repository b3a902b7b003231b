// chima-relocate: violations in (chima-watch), a new deployment and its timeline out.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>

#include "chima/container/backend.hpp"
#include "chima/container/podman_service.hpp"
#include "chima/deploy/artifacts.hpp"
#include "chima/deploy/install.hpp"
#include "chima/model/installed.hpp"
#include "chima/model/routes.hpp"
#include "chima/relocate/apply.hpp"
#include "chima/relocate/relocation.hpp"
#include "chima/state_file.hpp"
#include "chima/model/legacy.hpp"
#include "chima/net/names.hpp"
#include "chima/file_lock.hpp"
#include "chima/relocate/intent.hpp"
#include "chima/deploy/devices.hpp"
#include "chima/remote/network_devices.hpp"
#include "chima/tool.hpp"

int main(int argc, char** argv) {
    chima::Tool tool("chima-relocate",
                     "Read SLA violations (JSON Lines from chima-watch) on stdin; for each, "
                     "recompute placement and paths avoiding what degraded, and apply only the "
                     "difference, make before break. Prints a plan and a timeline per violation.");
    std::string topology, deployment, net, artifacts, installed, routes, backend = "auto";
    std::string to, legacy_service;
    std::string move_cost = "1ms";
    std::string on_exit = "restart";
    std::optional<std::string> out;
    bool dry_run = false, once = false, podman_cli = false;
    tool.app.add_option("--topology,-t", topology, "topology.yaml")->required();
    tool.app.add_option("--deployment,-d", deployment, "the deployment now serving")->required();
    tool.app.add_option("-o,--output", out, "write each new deployment here (atomically)");
    tool.app.add_flag("--dry-run", dry_run, "print the plan, touch nothing");
    tool.app.add_option("--net,-n", net, "network name (default: the topology's name)");
    tool.app.add_option("--artifacts", artifacts, "artifacts.json (P4 objects)");
    tool.app.add_option("--installed", installed, "installed.json (read and rewritten)");
    tool.app.add_option("--routes", routes, "routes.json (read and rewritten)");
    tool.app.add_option("--backend", backend, "container backend")
        ->check(CLI::IsMember(chima::container::backend_kinds()))
        ->capture_default_str();
    tool.app.add_option("--move-cost", move_cost, "placement cost of moving one function")
        ->capture_default_str();
    tool.app
        .add_option("--on-exit", on_exit,
                    "a function that exited (availability violation): restart it in place, or "
                    "move it as if its node were down")
        ->capture_default_str();
    tool.app.add_flag("--podman-cli", podman_cli, chima::container::kPodmanCliHelp);
    tool.app.add_flag("--once", once, "stop after the first relocation");
    tool.app.add_option("--to", to,
                        "relocate to this placement.yaml instead of computing one (the first "
                        "relocation; later ones are computed)");
    tool.app.add_option("--legacy", legacy_service,
                        "with --to: the prototype's service.yaml, --to being its redep.yaml");
    chima::remote::AccessFlags access_flags;
    chima::remote::add_access_flags(tool.app, access_flags);
    return tool.run(argc, argv, [&] {
        auto access = chima::remote::access_from(access_flags);
        auto topo = chima::load_topology(topology);
        auto current = chima::load_deployment(deployment);
        net = chima::net::network_name(net, topo.name);  // checked before anything is opened
        chima::relocate::check_topology_of(topo, current);
        chima::relocate::RelocationOptions options;
        auto mc = chima::parse_duration(move_cost);
        if (!mc)
            throw chima::InputError("--move-cost: expected a duration, got '" + move_cost + "'");
        options.move_cost = *mc;
        options.on_exit = chima::relocate::on_exit_from_string(on_exit);
        if (!legacy_service.empty() && to.empty())
            throw chima::InputError("--legacy needs --to (the prototype's redep.yaml)");
        if (!dry_run && artifacts.empty()) {
            throw chima::InputError(
                "--artifacts is needed to apply a relocation (or use --dry-run)");
        }
        if (!to.empty()) {
            options.target = legacy_service.empty()
                                 ? chima::load_placement(to)
                                 : chima::import_legacy(topo, legacy_service, to).placement;
        }
        // A --to placement is applied at the first violation; planned now (planning touches
        // nothing), one that cannot be applied stops the run before it waits for one.
        if (options.target)
            chima::relocate::plan_relocation(topo, current, chima::relocate::Degradation{},
                                             options);
        // The state files are read again by each relocation (it rewrites them); read now,
        // a bad one stops the run before the first violation is waited for.
        if (!dry_run) {
            // Every P4 function of a relocation's deployment is one of the current one's.
            chima::deploy::check_p4_inputs(current, chima::deploy::load_artifacts(artifacts),
                                           artifacts);
            if (!installed.empty() && std::filesystem::exists(installed))
                chima::load_installed(installed);
            if (!routes.empty() && std::filesystem::exists(routes))
                chima::load_routes(routes);
        }
        // podman answers a relocation's container starts and removals from a service started
        // now, before any violation arrives (see chima/container/podman_service.hpp).
        if (backend == "auto" && !dry_run)
            backend = chima::container::detect_backend();
        auto podman = dry_run ? nullptr : chima::container::podman_service_for(backend, podman_cli);
        if (!dry_run) {
            // A relocation a killed run left half done is finished or undone before anything
            // else; the deployment it leaves serving is the one to relocate from.
            auto devices = chima::deploy::open_devices(net, topo, {}, access);
            auto lock = chima::lock_network(net);
            if (auto recovery = chima::relocate::recover_relocation(net, *devices)) {
                std::cout << recovery->to_json().dump() << std::endl;
                current = recovery->serving;
            }
        }
        chima::relocate::Degradation seen;
        std::string line;
        while (std::getline(std::cin, line)) {
            if (line.empty())
                continue;
            nlohmann::json v;
            try {
                v = nlohmann::json::parse(line);
            } catch (const nlohmann::json::exception&) {
                spdlog::warn("stdin: a line that is not JSON, ignored");
                continue;
            }
            auto deg = chima::relocate::degradation_of(current, v, options);
            if (!deg) {
                if (v.value("type", "") == "violation") {
                    spdlog::warn("violation of {}/{} names no segment to avoid; ignored",
                                 v.value("chain", ""), v.value("section", ""));
                }
                continue;
            }
            chima::relocate::merge(seen, *deg);
            spdlog::info("{}: {}", deg->restart ? "restarting" : "relocating", deg->describe);
            auto next = chima::relocate::plan_relocation(topo, current, seen, options);
            auto plan = chima::relocate::relocation_diff(current, next);
            plan["violation"] = v;
            if (deg->restart)
                plan["restart"] = v["worst"].value("function", "");
            std::cout << plan.dump() << std::endl;
            // A restart replaces the exited instance of an unchanged deployment.
            if (next.id == current.id && !deg->restart) {
                spdlog::info("nothing to change");
            } else if (!dry_run) {
                if (podman && !podman->alive()) {
                    spdlog::warn("the podman API service has exited; starting another");
                    podman = chima::container::podman_service_for(backend, podman_cli);
                }
                chima::relocate::ApplyFiles files{net,    artifacts,       installed,
                                                  routes, out ? *out : "", backend};
                chima::container::BackendOptions containers;
                containers.podman_socket = podman ? podman->socket() : "";
                auto devices = chima::deploy::open_devices(net, topo, containers, access);
                auto lock = chima::lock_network(net);
                auto timeline = chima::relocate::apply_relocation(current, next, files, *devices);
                std::cout << timeline.dump() << std::endl;
                spdlog::info("relocated to deployment {} in {:.1f} ms", next.id,
                             timeline["total"]["ns"].get<int64_t>() / 1e6);
                current = std::move(next);
            }
            options.target.reset();  // a planned target is for the first relocation
            if (once)
                break;
        }
        return 0;
    });
}
