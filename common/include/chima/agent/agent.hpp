// chima-agent: one daemon per node (a machine, or a namespace of the emulated network) that
// owns the node's data plane and serves it over the network: the switch role speaks
// P4Runtime over gRPC, the host role is the paper's CHIMAclient as a REST API. It runs until
// SIGTERM or SIGINT; with `keep` it then leaves the data plane forwarding for the next agent
// to adopt (warm restart), else it detaches and removes everything it loaded.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "chima/agent/listen_address.hpp"

namespace chima::agent {

struct AgentOptions {
    std::string name;  // the node (pins, state); the one rule of names

    bool switch_role = false;
    std::string ports;  // --ports
    ListenAddress listen{"127.0.0.1", 9559};
    uint64_t device_id = 1;

    bool host_role = false;
    std::string uplink;    // --uplink
    std::string net;       // the emulated network the host belongs to ("" = none)
    bool bridged = false;  // a compute host (functions on a bridge behind the uplink)
    // A host of its own (no net): the bridge its functions join, with the uplink a port of
    // it (made when missing). Implies bridged.
    std::string bridge;
    ListenAddress api{"127.0.0.1", 9560};

    std::optional<TlsFiles> tls;
    bool insecure = false;
    bool keep = false;
    size_t max_message_bytes = 64u << 20;  // gRPC messages (a device config carries objects)
};

// Validates the options (InputError, exit 2) before anything is touched: roles, ports,
// listener security. Then starts the roles, calls `ready` with a JSON description (the
// bound addresses, ports and their delivery, whether the pipeline was adopted), waits for
// SIGTERM/SIGINT and shuts down.
void run_agent(const AgentOptions& options,
               const std::function<void(const nlohmann::json&)>& ready);

}  // namespace chima::agent
