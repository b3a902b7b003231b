/* Per-reason drop counters and per-port rx/tx counters. The maps are per-CPU, so plain
 * increments are race-free; user space sums the CPUs. */
#ifndef CHIMA_SWITCH_COUNTERS_H
#define CHIMA_SWITCH_COUNTERS_H

#include <linux/pkt_cls.h>

#include "maps.h"

static __always_inline int chima_drop(__u32 reason) {
    __u64* count = bpf_map_lookup_elem(&chima_drop_counters, &reason);
    if (count)
        *count += 1;
    return TC_ACT_SHOT;
}

static __always_inline void chima_count_rx(__u32 port, __u32 bytes) {
    struct chima_port_counters* c = bpf_map_lookup_elem(&chima_port_counters, &port);
    if (c) {
        c->rx_packets += 1;
        c->rx_bytes += bytes;
    }
}

static __always_inline void chima_count_tx(__u32 port, __u32 bytes) {
    struct chima_port_counters* c = bpf_map_lookup_elem(&chima_port_counters, &port);
    if (c) {
        c->tx_packets += 1;
        c->tx_bytes += bytes;
    }
}

#endif /* CHIMA_SWITCH_COUNTERS_H */
