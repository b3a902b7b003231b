// chima-agent: the node daemon. The switch role serves the node's eBPF switch over
// P4Runtime, the host role its host client and container functions over the REST API of the
// paper's CHIMAclient. See chima-agent(8).
#include <iostream>

#include "chima/agent/agent.hpp"
#include "chima/tool.hpp"

int main(int argc, char** argv) {
    chima::Tool tool("chima-agent",
                     "Own this node's data plane and serve it: P4Runtime (switch role) and the "
                     "host API (host role). Runs until SIGTERM or SIGINT.");
    chima::agent::AgentOptions o;
    std::string listen = "127.0.0.1:9559", api = "127.0.0.1:9560";
    std::string cert, key, ca;
    tool.app.add_option("--name", o.name, "this node's name (pins, state)")->required();
    tool.app.add_flag("--switch", o.switch_role, "the switch role: P4Runtime over gRPC");
    tool.app.add_option("--ports", o.ports,
                        "switch ports: IF1,IF2,... (ports 1, 2, ...) or N=IF,...");
    tool.app.add_option("--listen", listen, "P4Runtime address")->capture_default_str();
    tool.app.add_option("--device-id", o.device_id, "the P4Runtime device id")
        ->capture_default_str();
    tool.app.add_flag("--host", o.host_role, "the host role: the CHIMAclient REST API");
    tool.app.add_option("--uplink", o.uplink, "the host's uplink interface");
    tool.app.add_option("--net", o.net, "the emulated network this host belongs to");
    tool.app.add_flag("--bridged", o.bridged,
                      "a compute host: function ports on its bridge (chima-net's br0)");
    tool.app.add_option("--bridge", o.bridge,
                        "a compute host of its own (no --net): the bridge its functions join, "
                        "with the uplink a port of it (made when missing)");
    tool.app.add_option("--api", api, "host API address")->capture_default_str();
    tool.app.add_option("--tls-cert", cert, "server certificate (PEM)");
    tool.app.add_option("--tls-key", key, "server key (PEM)");
    tool.app.add_option("--tls-ca", ca, "CA that signs client certificates (PEM; mutual TLS)");
    tool.app.add_flag("--insecure", o.insecure,
                      "serve a non-loopback address without TLS (logged as a warning)");
    tool.app.add_flag("--keep", o.keep,
                      "at shutdown leave the data plane forwarding for the next agent to adopt");
    return tool.run(argc, argv, [&] {
        o.listen = chima::agent::parse_listen_address(listen, 9559);
        o.api = chima::agent::parse_listen_address(api, 9560);
        o.tls = chima::agent::tls_files_from_flags(cert, key, ca);
        chima::agent::run_agent(o, [](const nlohmann::json& status) {
            std::cout << status.dump() << std::endl;  // one line: scripts wait for it
        });
        return 0;
    });
}
