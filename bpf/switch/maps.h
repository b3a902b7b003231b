/* Maps of the switch pipeline. Layouts of keys and values: chima/switch.h, chima/pipeline.h. */
#ifndef CHIMA_SWITCH_MAPS_H
#define CHIMA_SWITCH_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "chima/pipeline.h"
#include "chima/switch.h"

/* chima_scratch (per-CPU struct chima_packet) and chima_resume (resume program). */
CHIMA_SHARED_MAPS

/* Function programs, keyed by function SID argument. */
struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, CHIMA_MAX_SLOTS);
    __type(key, __u32);
    __type(value, __u32);
} chima_slots SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, CHIMA_MAX_PORTS);
    __type(key, __u32);
    __type(value, struct chima_port);
} chima_ports SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, CHIMA_MAX_PORTS);
    __type(key, __u32);   /* ifindex */
    __type(value, __u32); /* port */
} chima_ifindex_ports SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, CHIMA_MAX_MAC_ROUTES);
    __type(key, struct chima_mac_key);
    __type(value, struct chima_route);
} chima_mac_routes SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);
    __uint(max_entries, CHIMA_MAX_PREFIX_ROUTES);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, struct chima_prefix_key);
    __type(value, struct chima_route);
} chima_prefix_routes SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, CHIMA_MAX_PORTS);
    __type(key, __u32);
    __type(value, struct chima_port_counters);
} chima_port_counters SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, CHIMA_DROP_REASON_COUNT);
    __type(key, __u32);
    __type(value, __u64);
} chima_drop_counters SEC(".maps");

/* INT (issue #6): flows a source instruments, and this switch's INT settings. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, CHIMA_INT_MAX_WATCHED_FLOWS);
    __type(key, struct chima_int_flow_key);
    __type(value, struct chima_int_watch);
} chima_int_watchlist SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, CHIMA_MAX_PORTS);
    __type(key, __u32);
    __type(value, __u32);
} chima_int_sink_ports SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct chima_int_config);
} chima_int_config SEC(".maps");

#endif /* CHIMA_SWITCH_MAPS_H */
