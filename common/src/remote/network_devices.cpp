#include "chima/remote/network_devices.hpp"

#include <cstdlib>
#include <fstream>
#include <map>

#include <CLI/CLI.hpp>

#include "chima/device/ebpf_devices.hpp"
#include "chima/error.hpp"
#include "chima/remote/http_host.hpp"
#include "chima/remote/p4runtime_switch.hpp"

namespace chima::remote {

namespace {

// The flag's value, else the environment variable's; "" when neither says.
std::string flag_or_env(const std::string& flag, const char* variable) {
    if (!flag.empty())
        return flag;
    const char* v = std::getenv(variable);
    return v ? v : "";
}

void check_readable(const std::string& path, const std::string& what) {
    std::ifstream in(path);
    if (!in)
        throw InputError(what + ": cannot read " + path);
}

}  // namespace

void add_access_flags(CLI::App& app, AccessFlags& flags) {
    app.add_option("--tls-cert", flags.tls_cert,
                   "client certificate (PEM) for devices reached over the network "
                   "(default $CHIMA_TLS_CERT)");
    app.add_option("--tls-key", flags.tls_key, "its key (PEM; default $CHIMA_TLS_KEY)");
    app.add_option("--tls-ca", flags.tls_ca,
                   "CA that signs the devices' certificates (PEM; default $CHIMA_TLS_CA)");
    app.add_option("--election-id", flags.election_id,
                   "P4Runtime election id (default $CHIMA_ELECTION_ID, else 1)");
    app.add_option("--device-timeout", flags.timeout_seconds,
                   "seconds a device over the network has to answer a call (default 5)");
}

RemoteAccess access_from(const AccessFlags& flags) {
    RemoteAccess access;
    TlsFiles tls{flag_or_env(flags.tls_cert, "CHIMA_TLS_CERT"),
                 flag_or_env(flags.tls_key, "CHIMA_TLS_KEY"),
                 flag_or_env(flags.tls_ca, "CHIMA_TLS_CA")};
    int given = !tls.cert.empty() + !tls.key.empty() + !tls.ca.empty();
    if (given != 0 && given != 3)
        throw InputError(
            "TLS to devices needs a certificate, its key and a CA (--tls-cert, "
            "--tls-key, --tls-ca or CHIMA_TLS_CERT, CHIMA_TLS_KEY, CHIMA_TLS_CA); "
            "some are missing");
    if (given == 3) {
        check_readable(tls.cert, "--tls-cert");
        check_readable(tls.key, "--tls-key");
        check_readable(tls.ca, "--tls-ca");
        access.tls = tls;
    }
    if (flags.election_id) {
        access.election_id = *flags.election_id;
    } else if (const char* e = std::getenv("CHIMA_ELECTION_ID"); e && *e) {
        char* end = nullptr;
        errno = 0;
        unsigned long long v = std::strtoull(e, &end, 10);
        if (errno != 0 || *end != '\0' || e[0] == '-')
            throw InputError(std::string("CHIMA_ELECTION_ID: '") + e + "' is not a number");
        access.election_id = v;
    }
    if (access.election_id == 0)
        throw InputError("--election-id: 0 is not a valid election id");
    if (flags.timeout_seconds) {
        if (!(*flags.timeout_seconds > 0 && *flags.timeout_seconds <= 3600))
            throw InputError("--device-timeout: give seconds in (0, 3600]");
        access.timeout =
            std::chrono::milliseconds(static_cast<int64_t>(*flags.timeout_seconds * 1000.0 + 0.5));
    }
    return access;
}

std::unique_ptr<device::DeviceRegistry> open_network_devices(
    const std::string& net, const Topology& topology, const container::BackendOptions& containers,
    const RemoteAccess& access) {
    // The template's P4Info, computed by the first switch that needs it (factories run under
    // the registry's lock, one at a time).
    auto template_p4info = std::make_shared<std::optional<nlohmann::json>>();
    auto template_source = access.template_p4info;
    std::map<std::string, SwitchEndpoint> remote_switches;
    for (const auto& s : topology.switches) {
        if (s.address.empty())
            continue;
        SwitchEndpoint e;
        e.address = s.address;
        e.device_id = s.device_id;
        e.election_id_low = access.election_id;
        e.tls = access.tls;
        e.timeout = access.timeout;
        remote_switches.emplace(s.name, e);
    }
    std::map<std::string, HostEndpoint> remote_hosts;
    auto add_host = [&](const std::string& name, const std::string& agent) {
        if (!agent.empty()) {
            HostEndpoint e;
            e.address = agent;
            e.tls = access.tls;
            e.timeout = access.timeout;
            remote_hosts.emplace(name, e);
        }
    };
    for (const auto& h : topology.hosts)
        add_host(h.name, h.agent);
    add_host(topology.client.name, topology.client.agent);
    if (topology.collector.separate)
        add_host(topology.collector.endpoint.name, topology.collector.endpoint.agent);

    auto local_switch = device::emulated_switches(net);
    auto local_host = device::emulated_hosts(net, topology, containers);
    return std::make_unique<device::DeviceRegistry>(
        [remote_switches, local_switch, template_p4info,
         template_source](const std::string& node) -> std::unique_ptr<device::SwitchDevice> {
            auto it = remote_switches.find(node);
            if (it == remote_switches.end())
                return local_switch(node);
            SwitchEndpoint endpoint = it->second;
            if (template_source) {
                if (!*template_p4info)
                    *template_p4info = template_source();
                endpoint.template_p4info = **template_p4info;
            }
            return open_p4runtime_switch(node, endpoint);
        },
        [remote_hosts, local_host](const std::string& node) -> std::unique_ptr<device::HostDevice> {
            auto it = remote_hosts.find(node);
            return it == remote_hosts.end() ? local_host(node) : open_remote_host(node, it->second);
        });
}

}  // namespace chima::remote
