// chima-route: label stacks into the host clients, forwarding into the switches.

#include "chima/deploy/routing.hpp"
#include "chima/net/names.hpp"
#include "chima/state_file.hpp"
#include "chima/file_lock.hpp"
#include "chima/relocate/intent.hpp"
#include "chima/deploy/devices.hpp"
#include "chima/remote/network_devices.hpp"
#include "chima/tool.hpp"

int main(int argc, char** argv) {
    chima::Tool tool("chima-route",
                     "Load a deployment's SR-MPLS label stacks into the host clients and its "
                     "forwarding entries into the switches of an emulated network. Idempotent.");
    std::string deployment, net;
    std::optional<std::string> out, previous;
    tool.app.add_option("DEPLOYMENT", deployment, "deployment.json")->required();
    tool.app.add_option("--net,-n", net, "network name (default: the topology's name)");
    tool.app.add_option("-o,--output", out,
                        "write routes.json here (atomically); flows of the file it replaces that "
                        "the deployment no longer has are removed");
    tool.app.add_option("--previous", previous, "an earlier routes.json (default: -o's file)");
    chima::remote::AccessFlags access_flags;
    chima::remote::add_access_flags(tool.app, access_flags);
    return tool.run(argc, argv, [&] {
        auto access = chima::remote::access_from(access_flags);
        auto d = chima::load_deployment(deployment);
        net = chima::net::network_name(net, d.topology.name);  // checked before anything is opened
        std::optional<chima::Routes> before;
        std::string before_file;
        if (auto file = chima::previous_state_file(previous, out)) {
            before = chima::load_routes(*file);
            before_file = *file;
        }
        chima::deploy::check_route_inputs(d, net, before, before_file);
        auto devices = chima::deploy::open_devices(net, d.topology, {}, access);
        // One tool at a time; a relocation a killed run left half done goes first.
        auto lock = chima::lock_network(net);
        if (chima::relocate::recover_relocation(net, *devices)) {
            if (auto file = chima::previous_state_file(previous, out))
                before = chima::load_routes(*file);
        }
        auto doc = chima::deploy::apply_routes(d, net, *devices, before);
        chima::emit_json(to_json(doc), out);
        return 0;
    });
}
