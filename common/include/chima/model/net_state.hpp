// net.json: what `chima-net up` built for a topology -- each switch's namespace, pins, ports
// and INT settings, each endpoint's namespace and uplink, the links and where the collector
// listens. Informative: the tools find a network from its name alone (chima-net(1), FILES).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "chima/units.hpp"

namespace chima {

inline constexpr const char* kNetKind = "chima.net";
inline constexpr int kNetVersion = 1;

struct NetState {
    struct Port {
        uint32_t port = 0;
        std::string ifname;  // "pN"
        int64_t ifindex = 0;
    };
    // "int": the switch's INT settings.
    struct IntSettings {
        uint32_t switch_id = 0;
        std::vector<uint32_t> sink_ports;   // ports toward an endpoint
        uint32_t report_port = 0;           // toward the collector; 0: unreachable
        std::optional<Ipv4> report_source;  // source address of its reports, when reachable
    };
    struct Switch {
        std::string name;
        uint32_t id = 0;
        std::string netns, pins;
        std::vector<Port> ports;
        IntSettings int_settings;
    };
    struct Endpoint {
        std::string name;
        std::string kind;  // "host" (a compute host, with a bridge) or "endpoint"
        std::string netns;
        Ipv4 ip;
        Mac mac;
        std::string uplink, pins;
        std::string bridge;  // "" unless kind is "host"
    };
    struct LinkEnd {
        std::string node, ifname;
    };
    struct Link {
        std::string name;  // "a-b"
        LinkEnd a, b;
    };
    struct Collector {
        std::string node, netns, iface;
        Ipv4 ip;
        uint16_t udp_port = 0;
    };

    std::string name;      // the network's name
    std::string topology;  // the topology file it was built from
    std::vector<Switch> switches;
    std::vector<Endpoint> endpoints;
    std::vector<Link> links;
    Collector collector;
};

nlohmann::json to_json(const NetState& doc);
// `file` names the document in errors.
NetState net_state_from_json(const nlohmann::json& doc, const std::string& file);
// Reads and checks a net.json file (InputError naming the file and JSON pointer).
NetState load_net_state(const std::string& path);

}  // namespace chima
