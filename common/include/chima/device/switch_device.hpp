// SwitchDevice: what the tools do to a programmable switch, in value types only (no pin
// paths, no file descriptors), so that a switch reached another way (P4Runtime: tables and
// actions by name through the P4Info, a function change as a pipeline config push) is one
// more implementation and no caller changes. docs/architecture.md describes the seam.
//
//   auto& sw = devices.switch_device("s0");
//   sw.load_function(3, {object, program, p4info, entries});   // entries in before it is live
//   sw.set_prefix_route(ip, 32, port);
//   sw.watch_flow(src, dst);
//
// Errors: InputError for bad arguments (slot, port, entries that do not fit the tables),
// RuntimeError when the device refuses.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "chima/units.hpp"
#include "chima/p4/entries.hpp"

namespace chima::device {

// A compiled function and the table entries it starts with. The entries are written before
// the function serves its slot: no packet ever meets it with empty tables.
struct FunctionLoad {
    std::string object;         // the compiled function (an eBPF object file)
    std::string program;        // its program when the object holds several; empty: the only one
    nlohmann::json p4info;      // tables and actions by name; null when the function has none
    bool const_entries = true;  // also the tables' `const entries` of the P4Info
    std::vector<p4::EntrySpec> entries;  // the deployment's entries for the function
};

// Where an INT sink sends its Telemetry Reports (see chima-net(1)). A UDP port of 0 is the
// Telemetry Report default port.
struct IntReportTarget {
    uint32_t port = 0;  // out of this switch port
    Ipv4 collector;
    Mac collector_mac;
    uint16_t collector_udp_port = 0;
    Ipv4 source;  // the switch's own address
    uint16_t source_udp_port = 0;
};

struct PortCounters {
    uint64_t rx_packets = 0;
    uint64_t rx_bytes = 0;
    uint64_t tx_packets = 0;
    uint64_t tx_bytes = 0;
};

// Drops by reason name ("stack_too_deep", ...), reasons that dropped nothing included.
using DropCounters = std::map<std::string, uint64_t>;

class SwitchDevice {
  public:
    virtual ~SwitchDevice() = default;
    virtual const std::string& name() const = 0;

    // Function slots (1..CHIMA_MAX_SLOTS-1). load_function puts `function` in `slot` with
    // its entries written, replacing what the slot served in one step (a swap: packets see
    // either the old function or the new one); when writing an entry fails the slot keeps
    // its previous function.
    virtual void load_function(uint32_t slot, const FunctionLoad& function) = 0;
    // Empties the slot (its packets are then dropped and counted); idempotent.
    virtual void clear_slot(uint32_t slot) = 0;
    // What the slot serves: an id that changes with every load, 0 when empty.
    virtual uint32_t slot_function(uint32_t slot) const = 0;

    // Forwarding for traffic segment routing does not place.
    virtual void set_mac_route(Mac destination, uint32_t port) = 0;
    virtual void set_prefix_route(Ipv4 prefix, uint8_t prefix_len, uint32_t port) = 0;
    virtual void delete_mac_route(Mac destination) = 0;
    virtual void delete_prefix_route(Ipv4 prefix, uint8_t prefix_len) = 0;

    // In-band Network Telemetry: a watched flow (source, destination) gets INT here.
    virtual void watch_flow(Ipv4 source, Ipv4 destination) = 0;
    virtual void unwatch_flow(Ipv4 source, Ipv4 destination) = 0;  // idempotent
    virtual void set_int_switch_id(uint32_t switch_id) = 0;
    virtual void set_int_initial_hops(uint32_t hops) = 0;
    virtual void set_int_sink_port(uint32_t port, bool sink) = 0;
    virtual void set_int_report(const IntReportTarget& report) = 0;
    virtual void clear_int_report() = 0;

    virtual PortCounters port_counters(uint32_t port) const = 0;
    virtual DropCounters drop_counters() const = 0;
};

}  // namespace chima::device
