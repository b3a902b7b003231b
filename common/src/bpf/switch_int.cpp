// SwitchPipeline: the INT maps (watchlist and per-switch settings) of bpf/switch/int_stack.h.
#include <bpf/bpf.h>

#include <cerrno>
#include <string>

#include "chima/bpf/switch_pipeline.hpp"
#include "chima/error.hpp"

namespace chima::bpf {
namespace {

chima_int_flow_key flow_key(Ipv4 source, Ipv4 destination) {
    chima_int_flow_key key{};
    key.src_addr = source.value;
    key.dst_addr = destination.value;
    return key;
}

std::string flow_name(Ipv4 source, Ipv4 destination) {
    return "INT watch entry " + source.str() + " -> " + destination.str();
}

}  // namespace

chima_int_config SwitchPipeline::int_config() const {
    uint32_t key = 0;
    chima_int_config config{};
    if (bpf_map_lookup_elem(int_config_.get(), &key, &config) != 0)
        throw_errno("cannot read the INT settings of " + dir_.string());
    return config;
}

void SwitchPipeline::store_int_config(const chima_int_config& config) {
    uint32_t key = 0;
    if (bpf_map_update_elem(int_config_.get(), &key, &config, BPF_ANY) != 0)
        throw_errno("cannot set the INT settings of " + dir_.string());
}

void SwitchPipeline::watch_flow(Ipv4 source, Ipv4 destination) {
    chima_int_flow_key key = flow_key(source, destination);
    chima_int_watch value{};
    if (bpf_map_update_elem(int_watchlist_.get(), &key, &value, BPF_ANY) != 0)
        throw_errno("cannot set " + flow_name(source, destination));
    chima_int_config config = int_config();
    if (!config.watching) {
        config.watching = 1;
        store_int_config(config);
    }
}

void SwitchPipeline::unwatch_flow(Ipv4 source, Ipv4 destination) {
    chima_int_flow_key key = flow_key(source, destination);
    if (bpf_map_delete_elem(int_watchlist_.get(), &key) != 0 && errno != ENOENT)
        throw_errno("cannot delete " + flow_name(source, destination));
    // With the list empty, non-watched packets skip the lookup again.
    chima_int_flow_key first{};
    if (bpf_map_get_next_key(int_watchlist_.get(), nullptr, &first) != 0 && errno == ENOENT) {
        chima_int_config config = int_config();
        config.watching = 0;
        store_int_config(config);
    }
}

void SwitchPipeline::set_int_switch_id(uint32_t switch_id) {
    if (switch_id > CHIMA_INT_SWITCH_ID_MASK) {
        throw InputError("INT switch id " + std::to_string(switch_id) + " above " +
                         std::to_string(CHIMA_INT_SWITCH_ID_MASK));
    }
    chima_int_config config = int_config();
    config.switch_id = switch_id;
    store_int_config(config);
}

void SwitchPipeline::set_int_initial_hops(uint32_t hops) {
    // More hops than the collector and the sink accept would end as a stack nobody reads.
    if (hops == 0 || hops > CHIMA_INT_MAX_HOPS) {
        throw InputError("INT remaining hop count " + std::to_string(hops) + " outside 1.." +
                         std::to_string(CHIMA_INT_MAX_HOPS));
    }
    chima_int_config config = int_config();
    config.initial_hops = hops;
    store_int_config(config);
}

void SwitchPipeline::set_int_sink_port(uint32_t port, bool sink) {
    if (port == 0 || port >= CHIMA_MAX_PORTS) {
        throw InputError("switch port " + std::to_string(port) + " outside 1.." +
                         std::to_string(CHIMA_MAX_PORTS - 1));
    }
    uint32_t value = sink ? 1 : 0;
    if (bpf_map_update_elem(int_sink_ports_.get(), &port, &value, BPF_ANY) != 0)
        throw_errno("cannot set INT sink port " + std::to_string(port));
}

void SwitchPipeline::set_int_report(const IntReportTarget& report) {
    if (report.port == 0 || report.port >= CHIMA_MAX_PORTS) {
        throw InputError("INT report port " + std::to_string(report.port) + " outside 1.." +
                         std::to_string(CHIMA_MAX_PORTS - 1));
    }
    if (report.collector_udp_port == 0)
        throw InputError("INT collector UDP port 0");
    chima_int_report_config config{};
    config.port = report.port;
    config.collector_addr = report.collector.value;
    config.source_addr = report.source.value;
    config.collector_udp_port = report.collector_udp_port;
    config.source_udp_port = report.source_udp_port;
    for (int i = 0; i < 6; ++i)
        config.collector_mac[i] = static_cast<uint8_t>(report.collector_mac.value >> (8 * (5 - i)));
    uint32_t key = 0;
    if (bpf_map_update_elem(int_report_.get(), &key, &config, BPF_ANY) != 0)
        throw_errno("cannot set the INT report target of " + dir_.string());
}

void SwitchPipeline::clear_int_report() {
    chima_int_report_config config{};
    uint32_t key = 0;
    if (bpf_map_update_elem(int_report_.get(), &key, &config, BPF_ANY) != 0)
        throw_errno("cannot clear the INT report target of " + dir_.string());
}

uint32_t SwitchPipeline::int_report_sequence() const {
    chima_int_report_seq value{};
    uint32_t key = 0;
    if (bpf_map_lookup_elem(int_report_seq_.get(), &key, &value) != 0)
        throw_errno("cannot read the INT report sequence of " + dir_.string());
    return value.next;
}

}  // namespace chima::bpf
