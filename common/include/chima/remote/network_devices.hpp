// The devices of a deployment's network, each reached where it is: a node the topology
// gives an address (a switch's P4Runtime `address`, a host's or endpoint's `agent`) over the
// network, every other node through the emulated network's pins, as before. One registry may
// mix both; the tools above it cannot tell which they drive.
//
//   auto access = remote::access_from_environment(flags);   // TLS files, election id
//   auto devices = remote::open_network_devices(net, topology, containers, access);
//   devices->switch_device("s1").set_prefix_route(ip, 32, 2);   // P4Runtime when s1 has one
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "chima/container/backend.hpp"
#include "chima/device/registry.hpp"
#include "chima/model/topology.hpp"
#include "chima/remote/tls_files.hpp"

namespace CLI {
class App;
}

namespace chima::remote {

// How the tools authenticate to devices over the network and claim them.
struct RemoteAccess {
    std::optional<TlsFiles> tls;  // client certificate, key and the CA devices are checked by
    uint64_t election_id = 1;     // P4Runtime election id (low 64 bits; high 0)
    std::chrono::milliseconds timeout{5000};  // per call
    // The template's P4Info, asked for (once) when a switch without a pipeline config is
    // met: it is committed there alone. Unset: such a switch is an error.
    std::function<nlohmann::json()> template_p4info;
};

// What a tool's flags say; empty fields fall back on the environment (CHIMA_TLS_CERT,
// CHIMA_TLS_KEY, CHIMA_TLS_CA, CHIMA_ELECTION_ID).
struct AccessFlags {
    std::string tls_cert, tls_key, tls_ca;
    std::optional<uint64_t> election_id;
    std::optional<double> timeout_seconds;
};

// --tls-cert, --tls-key, --tls-ca, --election-id, --device-timeout.
void add_access_flags(CLI::App& app, AccessFlags& flags);
// InputError naming the flag or variable when they do not make a whole (a cert without its
// key, a file that cannot be read, an election id of 0).
RemoteAccess access_from(const AccessFlags& flags);

std::unique_ptr<device::DeviceRegistry> open_network_devices(
    const std::string& net, const Topology& topology, const container::BackendOptions& containers,
    const RemoteAccess& access);

}  // namespace chima::remote
