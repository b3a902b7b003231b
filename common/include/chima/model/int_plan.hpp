// In-band Network Telemetry on one switch as the topology implies it: its id in the INT
// metadata, its ports toward endpoints (client, collector, hosts) as sinks, and where its
// Telemetry Reports go -- out of the port its forwarding sends the collector's address to,
// from an address of its own in 169.254.0.0/16. chima-net applies it to the emulated
// switches it builds, chima-route to every switch through its device (remote ones too).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "chima/model/deployment.hpp"
#include "chima/model/topology.hpp"

namespace chima {

struct IntReportPlan {
    uint32_t port = 0;  // out of this switch port
    Ipv4 collector;
    Mac collector_mac;
    uint16_t collector_udp_port = 0;
    Ipv4 source;
    uint16_t source_udp_port = 0;
};

struct IntPlan {
    uint32_t switch_id = 0;
    std::vector<uint32_t> sink_ports;
    std::optional<IntReportPlan> report;  // none: the collector is unreachable from here
};

// `entries`: the switch's forwarding entries (forwarding_entries()).
IntPlan int_plan(const Topology& topology, const Switch& sw,
                 const std::vector<ForwardingEntry>& entries);

// The address a switch's reports come from: the switch has none of its own in the topology,
// so it gets one from its id (ids are below 2^14).
Ipv4 int_report_source(const Switch& sw);

}  // namespace chima
