// The physical (or emulated) network: switches, compute hosts, links, the client endpoint
// and the INT collector. Read from topology.yaml (see chima-formats(5)).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "chima/error.hpp"
#include "chima/units.hpp"

namespace chima {

enum class SwitchTarget { Ebpf, P4Runtime };
const char* to_string(SwitchTarget t);

struct Switch {
    std::string name;
    uint32_t id = 0;  // INT switch id
    SwitchTarget target = SwitchTarget::Ebpf;
    // Its P4Runtime server (HOST:PORT): a chima-agent for an ebpf switch on a machine of its
    // own, the switch itself for p4runtime. "": an ebpf switch of the emulated network.
    std::string address;
    uint64_t device_id = 1;  // the P4Runtime device id at that address
    uint32_t slots = 16;     // P4 function capacity (function SIDs 1..slots)
    SourceMark mark;
};

// Something attached to one switch port: a compute host, the client, the collector.
struct Attachment {
    std::string sw;
    uint32_t port = 0;
    Nanoseconds delay = 0;  // nominal one-way delay of the access link
};

struct Host {
    std::string name;
    Ipv4 ip;
    Mac mac;
    Attachment at;
    uint32_t capacity = 4;  // container functions it can run
    std::string agent;      // its chima-agent's host API (HOST:PORT); "": emulated
    SourceMark mark;
};

struct Link {
    std::string a, b;  // switch names
    uint32_t a_port = 0, b_port = 0;
    Nanoseconds delay = 0;  // nominal one-way delay
    SourceMark mark;
    std::string name() const { return a + "-" + b; }
};

// The endpoint that sends the chain's traffic (and, unless given separately, receives INT
// reports: the paper's client and collector share 10.0.0.200).
struct Endpoint {
    std::string name;
    Ipv4 ip;
    Mac mac;
    Attachment at;
    std::string agent;  // its chima-agent's host API (HOST:PORT); "": emulated
    SourceMark mark;
};

struct Collector {
    bool separate = false;  // false: the collector runs on the client endpoint
    Endpoint endpoint;      // when separate
    uint16_t udp_port = 54321;
};

struct Topology {
    std::string file;
    std::string name;
    std::vector<Switch> switches;
    std::vector<Host> hosts;
    std::vector<Link> links;
    Endpoint client;
    Collector collector;

    const Switch* find_switch(const std::string& name) const;
    const Host* find_host(const std::string& name) const;
    const Host* find_host_by_ip(Ipv4 ip) const;
    const Link* find_link(const std::string& a, const std::string& b) const;  // either order
    // The endpoint that receives reports (the client endpoint unless separate).
    const Endpoint& collector_endpoint() const {
        return collector.separate ? collector.endpoint : client;
    }
};

// Parses and validates topology.yaml; every error is an InputError with file:line:col.
Topology load_topology(const std::string& path);
Topology parse_topology(const std::string& text, const std::string& file);

}  // namespace chima
