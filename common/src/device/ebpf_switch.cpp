#include "ebpf_switch.hpp"

#include "chima/bpf/table_entries.hpp"

namespace chima::device {

EbpfSwitch::EbpfSwitch(std::string name, const std::string& pin_dir)
    : name_(std::move(name)), pipeline_(bpf::SwitchPipeline::open(pin_dir)) {}

void EbpfSwitch::load_function(uint32_t slot, const FunctionLoad& function) {
    // The entries go into the maps the new program pinned, before the slot switches to it.
    auto write_entries = [&](const std::filesystem::path& maps) {
        if (function.p4info.is_null())
            return;
        if (function.const_entries)
            bpf::install_const_entries(maps, function.p4info);
        for (const auto& e : function.entries)
            bpf::install_entry(maps, function.p4info, e);
    };
    pipeline_.install_function(slot, function.object, function.program, write_entries);
}

uint32_t EbpfSwitch::slot_function(uint32_t slot) const {
    return pipeline_.slot_program_id(slot);
}

void EbpfSwitch::set_mac_route(Mac destination, uint32_t port) {
    pipeline_.set_mac_route(destination, port);
}

void EbpfSwitch::set_prefix_route(Ipv4 prefix, uint8_t prefix_len, uint32_t port) {
    pipeline_.set_prefix_route(prefix, prefix_len, port);
}

void EbpfSwitch::delete_mac_route(Mac destination) {
    pipeline_.delete_mac_route(destination);
}

void EbpfSwitch::delete_prefix_route(Ipv4 prefix, uint8_t prefix_len) {
    pipeline_.delete_prefix_route(prefix, prefix_len);
}

void EbpfSwitch::watch_flow(Ipv4 source, Ipv4 destination) {
    pipeline_.watch_flow(source, destination);
}

void EbpfSwitch::unwatch_flow(Ipv4 source, Ipv4 destination) {
    pipeline_.unwatch_flow(source, destination);
}

void EbpfSwitch::set_int_switch_id(uint32_t switch_id) {
    pipeline_.set_int_switch_id(switch_id);
}

void EbpfSwitch::set_int_initial_hops(uint32_t hops) {
    pipeline_.set_int_initial_hops(hops);
}

void EbpfSwitch::set_int_sink_port(uint32_t port, bool sink) {
    pipeline_.set_int_sink_port(port, sink);
}

void EbpfSwitch::set_int_report(const IntReportTarget& report) {
    bpf::IntReportTarget target;
    target.port = report.port;
    target.collector = report.collector;
    target.collector_mac = report.collector_mac;
    target.source = report.source;
    if (report.collector_udp_port)
        target.collector_udp_port = report.collector_udp_port;
    if (report.source_udp_port)
        target.source_udp_port = report.source_udp_port;
    pipeline_.set_int_report(target);
}

PortCounters EbpfSwitch::port_counters(uint32_t port) const {
    auto c = pipeline_.port_counters(port);
    return {c.rx_packets, c.rx_bytes, c.tx_packets, c.tx_bytes};
}

DropCounters EbpfSwitch::drop_counters() const {
    DropCounters out;
    auto drops = pipeline_.drop_counters();
    for (unsigned r = 0; r < drops.size(); ++r)
        out[bpf::drop_reason_name(r)] = drops[r];
    return out;
}

}  // namespace chima::device
