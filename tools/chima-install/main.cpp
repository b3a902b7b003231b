// chima-install: put a deployment's functions in place -- P4 functions into their switch
// slots (only the slots that changed) and container functions on their hosts.
#include <algorithm>
#include <iostream>

#include "chima/container/backend.hpp"
#include "chima/container/podman_service.hpp"
#include "chima/deploy/containers.hpp"
#include "chima/deploy/install.hpp"
#include "chima/deploy/p4runtime_requests.hpp"
#include "chima/net/names.hpp"
#include "chima/state_file.hpp"
#include "chima/file_lock.hpp"
#include "chima/relocate/intent.hpp"
#include "chima/deploy/devices.hpp"
#include "chima/remote/network_devices.hpp"
#include "chima/tool.hpp"

int main(int argc, char** argv) {
    chima::Tool tool("chima-install",
                     "Install a deployment's functions: each P4 function's program into its "
                     "switch slot (diffed against the previous installed.json: only changed "
                     "slots are touched), container functions on their hosts.");
    std::string deployment, artifacts, net;
    std::optional<std::string> out, previous;
    tool.app.add_option("DEPLOYMENT", deployment, "deployment.json")->required();
    tool.app.add_option("ARTIFACTS", artifacts, "artifacts.json (from chima-compile)")->required();
    tool.app.add_option("--net,-n", net, "network name (default: the topology's name)");
    tool.app.add_option("-o,--output", out, "write installed.json here (atomically)");
    tool.app.add_option("--previous", previous,
                        "the installed.json to diff against (default: -o's file)");
    chima::deploy::ContainerOptions containers;
    bool remove = false, watch = false, watch_only = false, podman_cli = false;
    std::string restart = "never", events;
    std::optional<std::string> compose_dir;
    tool.app.add_option("--backend", containers.backend, "container backend")
        ->check(CLI::IsMember(chima::container::backend_kinds()));
    tool.app.add_option("--functions-dir", containers.functions_dir,
                        "built function contexts (default: $CHIMA_BUILD/functions, else the "
                        "build tree's functions/)");
    tool.app.add_flag("--podman-cli", podman_cli, chima::container::kPodmanCliHelp);
    tool.app.add_flag("--remove", remove, "remove the deployment's container functions");
    tool.app.add_flag("--watch", watch,
                      "after installing, watch the container functions until SIGINT/SIGTERM");
    tool.app.add_flag(
        "--watch-only", watch_only,
        "install nothing: watch the container functions the -o installed.json records, and "
        "follow that file when another tool (chima-relocate) rewrites it; the file is not "
        "written");
    tool.app.add_option("--restart", restart, "with --watch: never | on-failure")
        ->check(CLI::IsMember({"never", "on-failure"}));
    tool.app.add_option("--events", events, "with --watch: append JSON event lines here");
    tool.app.add_option("--emit-compose", compose_dir,
                        "write one compose file per host into this directory and exit");
    chima::remote::AccessFlags access_flags;
    chima::remote::add_access_flags(tool.app, access_flags);
    bool dry_run = false;
    tool.app.add_flag("--dry-run", dry_run,
                      "print the P4Runtime requests for the p4runtime-target switches as JSON "
                      "and touch no device");
    return tool.run(argc, argv, [&] {
        auto access = chima::remote::access_from(access_flags);
        auto d = chima::load_deployment(deployment);
        auto a = chima::deploy::load_artifacts(artifacts);
        if (dry_run) {
            chima::emit_json(chima::deploy::v1model_dry_run(d, artifacts, {}), std::nullopt);
            return 0;
        }
        net = chima::net::network_name(net, d.topology.name);  // checked before anything is opened
        std::optional<chima::Installed> before;
        std::string before_file;
        if (auto file = chima::previous_state_file(previous, out)) {
            before = chima::load_installed(*file);
            before_file = *file;
        }
        if (watch_only) {
            if (!out)
                throw chima::InputError("--watch-only needs -o (the installed.json to follow)");
            auto policy = *chima::container::parse_restart_policy(restart);
            auto doc = chima::load_installed(*out);
            // An exit is inspected (its code, that it is not running) before it is reported:
            // through a podman API service that takes milliseconds, not a podman process per
            // inspect (hundreds of ms on a busy host), so the loop hears of it at once.
            if (containers.backend == "auto")
                containers.backend = chima::container::detect_backend();
            auto service = chima::container::podman_service_for(containers.backend, podman_cli);
            chima::container::BackendOptions watch_backends;
            if (service)
                watch_backends.podman_socket = service->socket();
            auto watched = chima::deploy::open_devices(net, d.topology, watch_backends, access);
            chima::deploy::watch_container_functions(*watched, doc, policy, events, std::nullopt,
                                                     out);
            return 0;
        }
        if (compose_dir) {
            for (const auto& f : chima::deploy::emit_compose(d, net, *compose_dir, containers))
                std::cout << f << "\n";
            return 0;
        }
        // Every input checked before the first device is opened: a function without its
        // object or build context, or a stale installed.json, stops the run here.
        if (!remove)
            chima::deploy::check_p4_inputs(d, a, artifacts);
        chima::deploy::check_container_inputs(d, net, before, before_file, containers, !remove);
        // The podman work of this run goes through one API service (see podman_service.hpp),
        // when there is any: functions to start, or containers of the previous install.
        bool container_work = std::any_of(d.functions.begin(), d.functions.end(), [](auto& f) {
            return f.spec.type == chima::FunctionType::Container;
        });
        if (before && !before->of_type(chima::FunctionType::Container).empty())
            container_work = true;
        if (container_work && containers.backend == "auto")
            containers.backend = chima::container::detect_backend();  // once for this run
        auto podman = container_work
                          ? chima::container::podman_service_for(containers.backend, podman_cli)
                          : nullptr;
        chima::container::BackendOptions backend_options;
        if (podman)
            backend_options.podman_socket = podman->socket();
        auto devices = chima::deploy::open_devices(net, d.topology, backend_options, access);
        // One tool at a time changes the network; a relocation a killed run left half done is
        // finished or undone first, and what it published is what this run starts from.
        std::optional<chima::FileLock> lock(chima::lock_network(net));
        if (chima::relocate::recover_relocation(net, *devices)) {
            if (auto file = chima::previous_state_file(previous, out))
                before = chima::load_installed(*file);
        }
        if (remove) {
            size_t n =
                chima::deploy::remove_container_functions(d, net, *devices, before, containers);
            nlohmann::json doc = {{"deployment", d.id}, {"net", net}, {"containers_removed", n}};
            chima::emit_json(doc, std::nullopt);
            if (before && out) {  // installed.json keeps its P4 part only
                std::erase_if(before->functions, [](const chima::InstalledFunction& f) {
                    return f.type == chima::FunctionType::Container;
                });
                chima::emit_json(to_json(*before), out);
            }
            return 0;
        }
        chima::deploy::SlotChanges changes;
        chima::deploy::ContainerChanges container_changes;
        // Containers first: new instances serve before anything old is taken down.
        auto functions = chima::deploy::install_container_functions(d, net, *devices, before,
                                                                    containers, container_changes);
        auto p4 = chima::deploy::install_p4_functions(d, a, *devices, before, changes);
        chima::Installed doc;
        doc.deployment = d.id;
        doc.net = net;
        doc.functions = std::move(functions);
        for (auto& f : p4)
            doc.functions.push_back(std::move(f));
        doc.changes = chima::InstallChanges{
            changes.installed,         changes.unchanged,           changes.cleared,
            container_changes.started, container_changes.unchanged, container_changes.removed};
        chima::emit_json(to_json(doc), out);
        // The watch below inspects with podman's command line: devices without the service.
        devices.reset();
        podman.reset();
        lock.reset();  // the watch runs until stopped: the network is free for others
        if (watch) {
            auto watched = chima::deploy::open_devices(net, d.topology, {}, access);
            chima::deploy::watch_container_functions(
                *watched, doc, *chima::container::parse_restart_policy(restart), events, out);
        }
        return 0;
    });
}
