// chima-compose: topology + service (+ placement) -> deployment.json.
#include <spdlog/spdlog.h>

#include "chima/compose/compose.hpp"
#include "chima/model/legacy.hpp"
#include "chima/tool.hpp"

int main(int argc, char** argv) {
    chima::Tool tool("chima-compose",
                     "Compose a deployment: place a service's functions on a topology, compute "
                     "SR-MPLS label stacks, forwarding and INT sections.\n"
                     "  chima-compose TOPOLOGY SERVICE [PLACEMENT] [-o deployment.json]\n"
                     "  chima-compose TOPOLOGY --legacy SERVICE [DEP]   (the prototype's files)");
    std::string topology;
    std::vector<std::string> rest;
    std::vector<std::string> legacy;
    std::optional<std::string> out;
    bool compact = false;
    tool.app.add_option("TOPOLOGY", topology, "topology.yaml")->required();
    tool.app.add_option("SERVICE_PLACEMENT", rest, "service.yaml [placement.yaml]")->expected(0, 2);
    tool.app.add_option("--legacy", legacy, "import the prototype's service.yaml [dep.yaml]")
        ->expected(1, 2);
    tool.app.add_option("-o,--output", out, "write the deployment here (atomically) instead of stdout");
    tool.app.add_flag("--compact", compact, "one-line JSON");
    return tool.run(argc, argv, [&] {
        chima::ComposeInput in;
        in.topology = chima::load_topology(topology);
        if (!legacy.empty()) {
            if (!rest.empty()) {
                throw chima::InputError("with --legacy, give only TOPOLOGY and --legacy SERVICE [DEP]");
            }
            std::optional<std::string> dep;
            if (legacy.size() > 1) dep = legacy[1];
            auto imported = chima::import_legacy(in.topology, legacy[0], dep);
            in.service = std::move(imported.service);
            in.placement = std::move(imported.placement);
        } else {
            if (rest.empty()) throw chima::InputError("missing SERVICE (see --help)");
            in.service = chima::load_service(rest[0]);
            if (rest.size() > 1) in.placement = chima::load_placement(rest[1]);
        }
        chima::Deployment d = chima::compose(in);
        spdlog::info("deployment {}: {} chain(s), {} function(s), {} flow(s), {} section(s)", d.id,
                     d.chains.size(), d.functions.size(), d.flows.size(), d.sections.size());
        chima::emit_json(chima::to_json(d), out, !compact);
        return 0;
    });
}
