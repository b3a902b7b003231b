// chima-install: put a deployment's functions in place -- P4 functions into their switch
// slots (only the slots that changed).
#include <filesystem>

#include "chima/deploy/install.hpp"
#include "chima/state_file.hpp"
#include "chima/tool.hpp"

int main(int argc, char** argv) {
    chima::Tool tool("chima-install",
                     "Install a deployment's functions: each P4 function's program into its "
                     "switch slot (diffed against the previous installed.json: only changed "
                     "slots are touched).");
    std::string deployment, artifacts, net;
    std::optional<std::string> out, previous;
    tool.app.add_option("DEPLOYMENT", deployment, "deployment.json")->required();
    tool.app.add_option("ARTIFACTS", artifacts, "artifacts.json (from chima-compile)")->required();
    tool.app.add_option("--net,-n", net, "network name (default: the topology's name)");
    tool.app.add_option("-o,--output", out, "write installed.json here (atomically)");
    tool.app.add_option("--previous", previous, "the installed.json to diff against (default: -o's file)");
    return tool.run(argc, argv, [&] {
        auto d = chima::load_deployment(deployment);
        auto a = chima::deploy::load_artifacts(artifacts);
        if (net.empty()) net = d.topology.name;
        std::optional<nlohmann::json> before;
        std::optional<std::string> prev_path = previous ? previous : out;
        if (prev_path && std::filesystem::exists(*prev_path)) {
            before = chima::read_state(*prev_path, chima::deploy::kInstalledKind,
                                       chima::deploy::kInstalledVersion);
        }
        chima::deploy::SlotChanges changes;
        auto functions = chima::deploy::install_p4_functions(d, a, net, before, changes);
        nlohmann::json doc = chima::new_state(chima::deploy::kInstalledKind,
                                              chima::deploy::kInstalledVersion);
        doc["deployment"] = d.id;
        doc["net"] = net;
        doc["functions"] = functions;
        doc["changes"] = {{"slots_installed", changes.installed},
                          {"slots_unchanged", changes.unchanged},
                          {"slots_cleared", changes.cleared}};
        chima::emit_json(doc, out);
        return 0;
    });
}
