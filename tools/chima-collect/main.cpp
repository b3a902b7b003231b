// chima-collect: the INT collector. Attaches the XDP report parser to an interface, prints
// per-segment EWMA measurements as JSON Lines every poll interval, crossing events the
// moment the kernel signals them, and serves Prometheus /metrics.
#include <iostream>
#include <map>

#include <spdlog/spdlog.h>

#include "chima/collector/collect_session.hpp"
#include "chima/collector/deployment_sections.hpp"
#include "chima/emulation/emulated_network.hpp"
#include "chima/model/deployment.hpp"
#include "chima/net/names.hpp"
#include "chima/tool.hpp"

int main(int argc, char** argv) {
    chima::Tool tool("chima-collect",
                     "Collect INT telemetry reports with XDP: per-segment latency and jitter.");
    chima::collector::CollectOptions options;
    std::optional<std::string> deployment;
    double poll_seconds = 0.1;
    std::string mode = "auto";
    std::optional<std::string> net;
    std::string silence_after = "auto";

    auto* iface = tool.app.add_option("--iface", options.iface, "interface the reports arrive on");
    tool.app.add_option("--netns", options.netns, "network namespace of the interface");
    auto* net_option = tool.app.add_option(
        "--net", net,
        "emulated network (chima-net): listen where its collector is (needs --deployment)");
    net_option->excludes(iface);
    tool.app.add_option("--deployment", deployment,
                        "deployment whose SLA sections name and watch segments");
    tool.app.add_option("--alpha", options.alpha, "EWMA coefficient in (0, 1]")
        ->capture_default_str();
    tool.app.add_option("--poll", poll_seconds, "seconds between measurement lines")
        ->capture_default_str();
    tool.app.add_option("--metrics", options.metrics,
                        "serve Prometheus /metrics on ADDR:PORT (ADDR defaults to 127.0.0.1)");
    tool.app.add_flag("--events", options.events,
                      "print a crossing line the moment a watched section crosses its threshold");
    tool.app.add_option("--port", options.udp_port, "UDP destination port of the reports")
        ->capture_default_str();
    tool.app
        .add_option("--silence-after", silence_after,
                    "a watched segment without a new sample for this long is silent (a "
                    "duration, or auto: max(4 x its sample interval, 150ms))")
        ->capture_default_str();
    tool.app.add_option("--xdp-mode", mode, "XDP attach mode")
        ->transform(CLI::IsMember({"auto", "generic", "native"}))
        ->capture_default_str();

    return tool.run(argc, argv, [&] {
        if (!(poll_seconds * 1000.0 >= 1.0) || poll_seconds > 86400.0)
            throw chima::InputError("--poll: " + std::to_string(poll_seconds) +
                                    " s is not from 0.001 to 86400 seconds");
        if (!(options.alpha > 0.0 && options.alpha <= 1.0))
            throw chima::InputError("--alpha: " + std::to_string(options.alpha) +
                                    " is not in (0, 1]");
        options.poll = std::chrono::milliseconds(static_cast<long>(poll_seconds * 1000.0));
        static const std::map<std::string, chima::collector::XdpMode> modes{
            {"auto", chima::collector::XdpMode::Auto},
            {"generic", chima::collector::XdpMode::Generic},
            {"native", chima::collector::XdpMode::Native}};
        options.mode = modes.at(mode);
        options.silence.after = chima::collector::parse_silence_after(silence_after);
        std::vector<chima::collector::WatchedSection> sections;
        if (net)
            chima::net::check_net_name(*net);
        if (net && !deployment)
            throw chima::InputError("--net needs --deployment (its topology places the collector)");
        if (!net && options.iface.empty())
            throw chima::InputError("--iface or --net is required");
        if (deployment) {
            chima::Deployment d = chima::load_deployment(*deployment);
            options.deployment_file = *deployment;
            if (net) {
                auto at = chima::emulation::collector_attachment(d.topology, *net);
                options.netns = at.netns;
                options.iface = at.iface;
                // A node of the emulated network is its namespace: watched for
                // node-missing / node-back.
                for (const auto& n : chima::emulation::node_namespaces(d.topology, *net))
                    options.nodes.push_back({n.name, n.netns});
            }
            sections = chima::collector::sections_from_deployment(d);
            chima::collector::defaults_from_deployment(d, options, tool.app.count("--alpha") > 0,
                                                       tool.app.count("--poll") > 0);
        }
        return chima::collector::run_collector(options, sections, std::cout);
    });
}
