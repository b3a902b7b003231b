// SwitchPipeline: the CHIMA switch pipeline of one emulated switch (bpf/switch), loaded once,
// pinned under a directory such as /sys/fs/bpf/chima/<net>/<switch>/, and reopened from
// there by any later tool.
//
//   auto sw = SwitchPipeline::create("/sys/fs/bpf/chima/lab/s1");   // chima-net up
//   sw.set_port(1, {.ifindex = 7, .own_mac = ..., .peer_mac = ...});
//   sw.attach(7);                                  // inside the switch's netns
//   sw.set_prefix_route(*Ipv4::parse("10.0.0.2"), 32, 1);
//   ...
//   auto sw = SwitchPipeline::open("/sys/fs/bpf/chima/lab/s1");     // chima-install
//   sw.install_function(3, "build/fn/toupper.bpf.o");                // slot 3, atomic
//   SwitchPipeline::remove("/sys/fs/bpf/chima/lab/s1");              // chima-net down
//
// Map updates are single atomic kernel operations. Operations that pin or unpin (create,
// install_function, clear_slot, remove) hold an flock on the pin directory, so two tools never
// race on one switch. Errors: InputError for bad arguments (port, slot, object that is not a
// CHIMA function), RuntimeError when the kernel refuses.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <filesystem>
#include <string>

#include "chima/unique_fd.hpp"
#include "chima/units.hpp"

extern "C" {
#include "chima/int.h"
#include "chima/pipeline.h"
#include "chima/switch.h"
}

namespace chima::bpf {

// Where an INT sink sends its Telemetry Reports: out of `port`, to the collector's
// addresses; the report's source is `source` (the switch's own address).
struct IntReportTarget {
    uint32_t port = 0;
    Ipv4 collector;
    Mac collector_mac;
    uint16_t collector_udp_port = CHIMA_INT_REPORT_UDP_PORT;
    Ipv4 source;
    uint16_t source_udp_port = CHIMA_INT_REPORT_UDP_PORT;
};

// One switch port: which interface it is and how routed frames leaving it are addressed.
struct PortConfig {
    uint32_t ifindex = 0;
    Mac own_mac;              // source MAC of routed frames leaving the port
    Mac peer_mac;             // destination MAC of routed frames (the device behind the port)
    bool rewrite_mac = true;  // false: routed frames keep their MACs (e.g. a port to a switch)
    // The port is one end of a veth pair: frames go straight into the peer's ingress
    // (bpf_redirect_peer) instead of being transmitted, which also skips any qdisc on it.
    bool deliver_to_peer = false;
};

struct PortCounters {
    uint64_t rx_packets = 0;
    uint64_t rx_bytes = 0;
    uint64_t tx_packets = 0;
    uint64_t tx_bytes = 0;
};

// Drops per reason, indexed by enum chima_drop_reason.
using DropCounters = std::array<uint64_t, CHIMA_DROP_REASON_COUNT>;

// "stack_too_deep", ... (the names `chima-net status` prints).
const char* drop_reason_name(unsigned reason);

class SwitchPipeline {
  public:
    // Loads the pipeline, wires its resume program and pins its programs and maps in
    // `pin_dir` (created with its parents). RuntimeError when `pin_dir` already holds a
    // pipeline, bpffs is not mounted or the kernel refuses the program.
    static SwitchPipeline create(const std::filesystem::path& pin_dir);
    // Opens the pipeline pinned in `pin_dir`. RuntimeError when it is not there.
    static SwitchPipeline open(const std::filesystem::path& pin_dir);
    // Unpins the pipeline, its function slots and the directory. Filters still attached keep
    // running until their interfaces go away. Idempotent.
    static void remove(const std::filesystem::path& pin_dir);

    const std::filesystem::path& pin_dir() const { return dir_; }

    // TC ingress of `ifindex` runs the pipeline. Call inside the switch's netns.
    void attach(int ifindex) const;
    void detach(int ifindex) const;

    // Ports are 1..CHIMA_MAX_PORTS-1.
    void set_port(uint32_t port, const PortConfig& config);
    // Changes only how frames leave `port` (see PortConfig::deliver_to_peer): chima-net
    // perturb turns peer delivery off while a netem qdisc sits on the port.
    void set_port_delivery(uint32_t port, bool deliver_to_peer);
    void clear_port(uint32_t port);

    // Forwarding tables for traffic segment routing does not place.
    void set_mac_route(Mac destination, uint32_t port);
    void delete_mac_route(Mac destination);
    void set_prefix_route(Ipv4 prefix, uint8_t prefix_len, uint32_t port);
    void delete_prefix_route(Ipv4 prefix, uint8_t prefix_len);
    // Entries whose action drops: the packet is dropped (counted as bad_port: a route to
    // port 0), where a missing entry would fall through (MAC) or count as no_route.
    void set_mac_drop(Mac destination);
    void set_prefix_drop(Ipv4 prefix, uint8_t prefix_len);

    // Loads the function program of `object` (a BPF object built against chima/pipeline.h;
    // `program` names it when the object holds several) with this switch's shared maps, pins
    // it with its own maps under <pin_dir>/slot-<slot>/ and puts it in slot `slot` in one
    // atomic update, replacing the previous function. Slots are 1..CHIMA_MAX_SLOTS-1.
    // `before_live` runs with the directory of the new function's pinned maps before the
    // slot switches to it (table entries go in there: no packet ever meets the function
    // with empty tables); when it throws, the slot keeps its previous function.
    using MapsReady = std::function<void(const std::filesystem::path& maps_dir)>;
    void install_function(uint32_t slot, const std::filesystem::path& object,
                          const std::string& program = {}, const MapsReady& before_live = {});
    // Empties `slot` (packets for it are then dropped and counted); idempotent.
    void clear_slot(uint32_t slot);
    // Kernel id of the program in `slot`, 0 when empty.
    uint32_t slot_program_id(uint32_t slot) const;
    // Where the function in `slot` pins its own maps (tables, registers).
    std::filesystem::path slot_dir(uint32_t slot) const;

    // In-band Network Telemetry (bpf/switch/int_stack.h). A packet of a watched flow
    // (IPv4 source, destination) that arrives without INT gets it here: this switch is the
    // flow's INT source. Packets that carry INT (DSCP 0x17) get this hop's metadata.
    void watch_flow(Ipv4 source, Ipv4 destination);
    void unwatch_flow(Ipv4 source, Ipv4 destination);  // idempotent
    // The switch id in this switch's INT metadata: 0..CHIMA_INT_SWITCH_ID_MASK (the bits
    // above carry function ids). The remaining hop count a source
    // writes: 1..CHIMA_INT_MAX_HOPS (default 8).
    void set_int_switch_id(uint32_t switch_id);
    void set_int_initial_hops(uint32_t hops);
    // A sink port leads to an endpoint (client, host): INT is stripped there and the packet
    // leaves as it was before the source (DSCP, lengths, checksums), unless the packet
    // carried SID 0xC0000 (INT data for the attached host). With a collector set, the sink
    // first pushes its own hop and sends a Telemetry Report v1.0 out of `report.port`.
    void set_int_sink_port(uint32_t port, bool sink);
    void set_int_report(const IntReportTarget& report);
    void clear_int_report();
    // Sequence number of the next report this switch sends (= reports sent so far).
    uint32_t int_report_sequence() const;
    void set_int_report_sequence(uint32_t next);

    // Empties what a controller writes: MAC and prefix routes, the INT watchlist, sink
    // ports, report target, switch id and report sequence. Ports, slots and counters stay.
    void clear_forwarding_state();

    DropCounters drop_counters() const;
    PortCounters port_counters(uint32_t port) const;
    // Counter writes put the value on CPU 0 and zero on the others (reads sum the CPUs).
    void set_port_counters(uint32_t port, const PortCounters& counters);
    void set_drop_counter(unsigned reason, uint64_t packets);

    // The TC programs (for BPF_PROG_TEST_RUN in tests and benchmarks).
    int ingress_program_fd() const { return ingress_.get(); }
    int resume_program_fd() const { return resume_.get(); }

  private:
    explicit SwitchPipeline(std::filesystem::path dir) : dir_(std::move(dir)) {}

    std::filesystem::path dir_;
    UniqueFd ingress_, resume_;
    UniqueFd scratch_, resume_map_, slots_;
    UniqueFd ports_, ifindex_ports_, mac_routes_, prefix_routes_;
    UniqueFd port_counters_, drop_counters_;
    UniqueFd int_watchlist_, int_config_, int_sink_ports_, int_report_, int_report_seq_;

    chima_int_config int_config() const;
    void store_int_config(const chima_int_config& config);
};

}  // namespace chima::bpf
