/* The host client's per-CPU counters (enum chima_client_counter in chima/client.h). */
#ifndef CHIMA_CLIENT_COUNTERS_H
#define CHIMA_CLIENT_COUNTERS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "chima/client.h"

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, CHIMA_CLIENT_COUNTER_COUNT);
    __type(key, __u32);
    __type(value, __u64);
} chima_client_counters SEC(".maps");

static __always_inline void chima_client_count(__u32 counter, __u64 amount) {
    __u64* value = bpf_map_lookup_elem(&chima_client_counters, &counter);
    if (value)
        *value += amount;
}

#endif /* CHIMA_CLIENT_COUNTERS_H */
