// A deployment: where every function runs and how traffic reaches it. Written by
// chima-compose (and chima-relocate) as deployment.json; every later tool reads it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "chima/label_stack.hpp"
#include "chima/model/service.hpp"
#include "chima/model/topology.hpp"

namespace chima {

inline constexpr const char* kDeploymentKind = "chima.deployment";
inline constexpr int kDeploymentVersion = 1;

// A function with its place. P4 functions run in slot `slot` of switch `node` (function
// SID 0x40000|slot); container functions run on host `node` with their own address and
// MAC, and id `function_id` (function-end SID 0xC0000|id).
struct PlacedFunction {
    std::string chain;
    Function spec;
    std::string node;
    uint32_t slot = 0;          // P4
    uint32_t function_id = 0;   // container
    Ipv4 ip;                    // container service address
    Mac mac;                    // container MAC
    std::string netns() const;  // container: the function's own network namespace name
};

// Who pushes a stack: the client endpoint or the host a container function runs on.
struct Flow {
    std::string chain;
    std::string direction;  // "forward" (towards the chain's end) or "reverse" (replies)
    std::string src;        // "client" endpoint name or function name
    std::string dst;
    Ipv4 src_ip, dst_ip;
    std::string pusher;             // node whose client eBPF pushes the stack (endpoint or host)
    std::vector<std::string> path;  // switches traversed, in order
    LabelStack stack;
};

enum class SegmentKind { Link, Function };

// What the collector measures: a link between two switches (in the direction traversed)
// or a container function's execution time.
struct Segment {
    SegmentKind kind = SegmentKind::Link;
    std::string a, b;  // link: switch names
    uint32_t a_id = 0, b_id = 0;
    std::string function;  // function: its name
    uint32_t function_id = 0;
    std::string key() const;  // "s0-s1" or "fn:toupper"
    bool operator==(const Segment&) const = default;
};

// An SLA section of a chain and the segments whose sum it bounds.
struct Section {
    std::string chain;
    std::string name;  // "end-to-end" or the name of the function that ends the section
    SlaSection sla;
    std::vector<Segment> segments;
};

// Something with an address that unmanaged traffic may be sent to: the client, the
// collector, a compute host, a container function (at its host's switch port).
struct NetEndpoint {
    std::string name;
    std::string kind;  // "client", "collector", "host", "function"
    Ipv4 ip;
    Mac mac;
    std::string sw;
    uint32_t port = 0;
};

// Forwarding for traffic CHIMA does not manage (the job of ONOS reactive forwarding in the
// paper). Stored compactly: at switch S, traffic for an endpoint attached to switch D
// leaves by next_port[S][D] (or by the endpoint's own port when D == S). The exact
// MAC / IPv4 entries a switch gets are that join (see forwarding_entries()).
struct ForwardingEntry {
    std::string sw;
    std::string target;
    Mac mac;
    Ipv4 ip;
    uint32_t port = 0;
};

// next[S][D]: the port of switch S towards switch D (chima-compose computes it).
using NextPortTable = std::map<std::string, std::map<std::string, uint32_t>>;

// One exact entry per endpoint reachable from `sw`: the join of the endpoints and `next`.
std::vector<ForwardingEntry> forwarding_entries(const std::string& sw,
                                                const std::vector<NetEndpoint>& endpoints,
                                                const NextPortTable& next);

struct ChainInfo {
    std::string name;
    ClientSpec client;
    SlaSection sla;
    double alpha = 0.125;
    Nanoseconds poll = 100'000'000;
    std::vector<std::string> functions;  // names in chain order
};

struct Deployment {
    std::string id;  // content hash of the deployment (changes when anything changes)
    Topology topology;
    std::vector<ChainInfo> chains;
    std::vector<PlacedFunction> functions;
    std::vector<Flow> flows;
    std::vector<Section> sections;
    std::vector<NetEndpoint> endpoints;
    NextPortTable next_port;  // [at switch][to switch]

    const PlacedFunction* find_function(const std::string& chain, const std::string& name) const;
    // The exact-match forwarding entries of one switch (one per endpoint it can reach).
    std::vector<ForwardingEntry> forwarding_entries(const std::string& sw) const;
};

nlohmann::json to_json(const Deployment& d);
// Reads deployment JSON; InputError naming `file` and the JSON path on a bad document.
Deployment deployment_from_json(const nlohmann::json& doc, const std::string& file);
Deployment load_deployment(const std::string& path);

nlohmann::json topology_to_json(const Topology& t);
Topology topology_from_json(const nlohmann::json& j, const std::string& file);

}  // namespace chima
