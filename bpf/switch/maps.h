/* Maps of the switch pipeline. Layouts of keys and values: chima/switch.h, chima/pipeline.h. */
#ifndef CHIMA_SWITCH_MAPS_H
#define CHIMA_SWITCH_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "chima/pipeline.h"
#include "chima/int.h"
#include "chima/switch.h"

/* shim + md header + CHIMA_INT_MAX_HOPS hops, rounded up for the verifier's mask */
#define CHIMA_INT_STACK_BUFFER_BYTES 128

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

/* INT: flows a source instruments, and this switch's INT settings. */
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

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct chima_int_report_config);
} chima_int_report SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct chima_int_report_seq);
} chima_int_report_seq SEC(".maps");

/* Per-CPU room for INT buffers too big for the 512-byte BPF stack shared by the pipeline, its
 * global functions and the loop callbacks. Not used by user space. */
struct chima_int_buffers {
    __u8 stack[CHIMA_INT_STACK_BUFFER_BYTES]; /* INT bytes a sink strips */
    __u8 report[CHIMA_INT_REPORT_OUTER_BYTES + 2];
    /* What chima_finish() leaves for chima_int_sink() (bpf/switch/int_stack.h). */
    __u32 sink_pop;       /* labels popped by the deparser */
    __u32 sink_int_bytes; /* INT bytes as received */
    __u32 sink_push;      /* the sink pushes its own hop */
    __u32 sink_port;      /* egress port of the packet */
    __u32 sink_ifindex;   /* its interface */
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct chima_int_buffers);
} chima_int_buffers SEC(".maps");

static __always_inline struct chima_int_buffers* chima_int_buffer(void) {
    __u32 key = 0;
    return bpf_map_lookup_elem(&chima_int_buffers, &key);
}

#endif /* CHIMA_SWITCH_MAPS_H */
