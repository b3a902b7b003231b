// SwitchPipeline: what a P4Runtime controller writes beyond routes and INT settings (drop
// entries, counter and sequence values) and the reset of a full pipeline push.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "chima/bpf/switch_pipeline.hpp"
#include "chima/error.hpp"

namespace chima::bpf {
namespace {

void check_port_number(uint32_t port) {
    if (port == 0 || port >= CHIMA_MAX_PORTS) {
        throw InputError("switch port " + std::to_string(port) + " outside 1.." +
                         std::to_string(CHIMA_MAX_PORTS - 1));
    }
}

// Every key of a hash or trie map, then each deleted (deleting while walking skips keys).
template <typename Key>
void delete_all(int fd, const std::string& what) {
    std::vector<Key> keys;
    Key key{}, next{};
    void* prev = nullptr;
    while (bpf_map_get_next_key(fd, prev, &next) == 0) {
        keys.push_back(next);
        key = next;
        prev = &key;
    }
    for (const Key& k : keys) {
        if (bpf_map_delete_elem(fd, &k) != 0 && errno != ENOENT)
            throw_errno("cannot delete " + what);
    }
}

// A per-CPU value: `value` (of `size` bytes) on CPU 0, zeros elsewhere.
void write_percpu(int fd, uint32_t key, const void* value, size_t size, const std::string& what) {
    int cpus = libbpf_num_possible_cpus();
    if (cpus <= 0)
        throw RuntimeError("cannot count the possible CPUs");
    size_t stride = (size + 7) / 8 * 8;
    std::vector<uint8_t> values(stride * static_cast<size_t>(cpus), 0);
    std::memcpy(values.data(), value, size);
    if (bpf_map_update_elem(fd, &key, values.data(), BPF_ANY) != 0)
        throw_errno("cannot set " + what);
}

}  // namespace

void SwitchPipeline::set_mac_drop(Mac destination) {
    chima_mac_key key{};
    for (int i = 0; i < 6; ++i)
        key.addr[i] = static_cast<uint8_t>(destination.value >> (8 * (5 - i)));
    chima_route route{0};
    if (bpf_map_update_elem(mac_routes_.get(), &key, &route, BPF_ANY) != 0)
        throw_errno("cannot set MAC drop entry " + destination.str());
}

void SwitchPipeline::set_prefix_drop(Ipv4 prefix, uint8_t prefix_len) {
    if (prefix_len > 32)
        throw InputError("IPv4 prefix length " + std::to_string(prefix_len) + " above 32");
    uint32_t mask = prefix_len == 0 ? 0 : ~uint32_t{0} << (32 - prefix_len);
    chima_prefix_key key{};
    key.prefixlen = prefix_len;
    key.addr_be = htobe32(prefix.value & mask);
    chima_route route{0};
    if (bpf_map_update_elem(prefix_routes_.get(), &key, &route, BPF_ANY) != 0)
        throw_errno("cannot set drop route " + prefix.str() + "/" + std::to_string(prefix_len));
}

void SwitchPipeline::set_int_report_sequence(uint32_t next) {
    chima_int_report_seq value{};
    value.next = next;
    uint32_t key = 0;
    // BPF_F_LOCK: the write takes the value's spin lock, like the sink's increment.
    if (bpf_map_update_elem(int_report_seq_.get(), &key, &value, BPF_F_LOCK) != 0)
        throw_errno("cannot set the INT report sequence of " + dir_.string());
}

void SwitchPipeline::clear_forwarding_state() {
    delete_all<chima_mac_key>(mac_routes_.get(), "MAC routes");
    delete_all<chima_prefix_key>(prefix_routes_.get(), "prefix routes");
    delete_all<chima_int_flow_key>(int_watchlist_.get(), "INT watch entries");
    for (uint32_t port = 1; port < CHIMA_MAX_PORTS; ++port)
        set_int_sink_port(port, false);
    clear_int_report();
    chima_int_config config = int_config();
    config.switch_id = 0;
    config.watching = 0;
    store_int_config(config);
    set_int_report_sequence(0);
}

void SwitchPipeline::set_port_counters(uint32_t port, const PortCounters& counters) {
    check_port_number(port);
    chima_port_counters value{};
    value.rx_packets = counters.rx_packets;
    value.rx_bytes = counters.rx_bytes;
    value.tx_packets = counters.tx_packets;
    value.tx_bytes = counters.tx_bytes;
    write_percpu(port_counters_.get(), port, &value, sizeof value,
                 "counters of port " + std::to_string(port));
}

void SwitchPipeline::set_drop_counter(unsigned reason, uint64_t packets) {
    if (reason >= CHIMA_DROP_REASON_COUNT)
        throw InputError("drop reason " + std::to_string(reason) + " unknown");
    write_percpu(drop_counters_.get(), reason, &packets, sizeof packets,
                 std::string("drop counter ") + drop_reason_name(reason));
}

}  // namespace chima::bpf
