/* The INT collector's maps, shared by bpf/collector/collector.bpf.c and the C++ loader
 * (common/src/collector): keys, values, the ring buffer event, counters, and the
 * fixed-point EWMA both sides (and the tests) compute with.
 *
 * Segments. A link segment is the path from switch a's egress to switch b's ingress
 * (directional: a is upstream); a function segment is a container function's execution,
 * from the egress of the hop before it to the ingress of the hop that marks its end.
 *
 * Sections. User space groups segments into watched sections (an SLA section of a
 * chain): the sum of their EWMAs is compared with a latency and a jitter threshold in the
 * XDP program itself, which sends a ring buffer event when a sum crosses its threshold.
 */
#ifndef CHIMA_COLLECTOR_H
#define CHIMA_COLLECTOR_H

#include <linux/types.h>
#include <linux/bpf.h>

#include "chima/int.h"

/* ---- sizes ---------------------------------------------------------------------------- */

#define CHIMA_COLLECTOR_MAX_SEGMENTS 16384
#define CHIMA_COLLECTOR_MAX_SWITCHES 1024
/* Section ids index an array; id 0 is never used so "no section" is 0. */
#define CHIMA_COLLECTOR_MAX_SECTIONS 256
#define CHIMA_SECTION_MAX_SEGMENTS 32
/* How many sections one segment can belong to. */
#define CHIMA_SEGMENT_MAX_SECTIONS 8
#define CHIMA_COLLECTOR_RINGBUF_BYTES (64 * 1024)

/* ---- segments ------------------------------------------------------------------------- */

enum chima_segment_kind {
    CHIMA_SEGMENT_LINK = 1,
    CHIMA_SEGMENT_FUNCTION = 2,
};

/* Link: a = upstream switch id, b = downstream switch id. Function: a = function id,
 * b = 0. No implicit padding (hash key). */
struct chima_segment_key {
    __u32 kind;
    __u32 a;
    __u32 b;
};

struct chima_segment_state {
    struct bpf_spin_lock lock;
    __u32 last_sample_ns; /* previous raw sample, for the jitter sample */
    __u64 latency_q16;    /* EWMA of the delay, ns * 2^16 */
    __u64 jitter_q16;     /* EWMA of |d_p - previous d_p|, ns * 2^16 */
    __u64 samples;
    __u64 last_update_ns; /* bpf_ktime_get_coarse_ns() of the last sample */
    /* Written by user space: the watched sections containing this segment (0 = none). */
    __u32 sections[CHIMA_SEGMENT_MAX_SECTIONS];
};

/* ---- watched sections ----------------------------------------------------------------- */

enum chima_metric {
    CHIMA_METRIC_LATENCY = 0,
    CHIMA_METRIC_JITTER = 1,
};

struct chima_section {
    struct bpf_spin_lock lock;
    __u32 segment_count;
    __u64 latency_threshold_ns; /* 0 = latency not watched */
    __u64 jitter_threshold_ns;  /* 0 = jitter not watched */
    /* Sums of the segments' EWMAs (ns * 2^16), kept by the XDP program: each sample adds
     * its segment's change with an atomic add, so a check reads one word instead of
     * looking up every segment. User space sets the starting sums when it configures. */
    __u64 latency_sum_q16;
    __u64 jitter_sum_q16;
    struct chima_segment_key segments[CHIMA_SECTION_MAX_SEGMENTS];
    /* Written by the XDP program under the lock: is the sum above its threshold now? */
    __u8 latency_above;
    __u8 jitter_above;
    __u8 pad[6];
};

/* Ring buffer record: a section's EWMA sum crossed its threshold. */
struct chima_collector_event {
    __u64 ts_ns;    /* bpf_ktime_get_ns() (CLOCK_MONOTONIC) */
    __u64 value_ns; /* the section's sum after the update */
    __u64 threshold_ns;
    __u32 section;
    __u8 metric; /* enum chima_metric */
    __u8 above;  /* 1: crossed upwards (violation), 0: back below */
    __u16 pad;
    struct chima_segment_key segment; /* the segment whose sample caused it */
    __u32 pad2;
    __u64 segment_value_ns; /* that segment's own EWMA (same metric) after the sample */
};

/* ---- configuration, counters ---------------------------------------------------------- */

/* alpha in (0, 1] as a 32.32 fraction: 1 is 2^32. */
#define CHIMA_EWMA_ALPHA_ONE (1ULL << 32)
#define CHIMA_EWMA_FRAC_BITS 16
#define CHIMA_COLLECTOR_DEFAULT_ALPHA (CHIMA_EWMA_ALPHA_ONE >> 3)

struct chima_collector_config {
    __u64 alpha_q32; /* 0 = CHIMA_COLLECTOR_DEFAULT_ALPHA */
    __u16 udp_port;  /* 0 = CHIMA_INT_REPORT_UDP_PORT */
    __u16 pad;
    __u32 pad2;
};

/* Per-CPU; user space sums the CPUs. malformed[] is indexed by enum chima_report_status
 * (entries OK and NOT_A_REPORT stay 0). */
struct chima_collector_stats {
    __u64 reports; /* well-formed reports */
    __u64 malformed[CHIMA_REPORT_STATUS_COUNT];
    __u64 samples;             /* segment samples applied */
    __u64 unavailable_samples; /* a hop reported an all-ones timestamp */
    __u64 segments_full;       /* the segment map had no room for a new segment */
    __u64 events_lost;         /* the ring buffer was full */
};

/* Per reporting switch (the report header's switch id). Reports of one switch are one UDP
 * flow, which RSS keeps on one CPU: no lock. */
struct chima_switch_seq {
    __u32 last_seq;
    __u32 pad;
    __u64 reports;
    __u64 gaps; /* reports missing between consecutive sequence numbers */
};

/* ---- fixed-point EWMA ----------------------------------------------------------------- */

/* round(delta * alpha / 2^32) for delta < 2^48 and alpha <= 2^32, in 64-bit arithmetic
 * only (BPF has no 128-bit multiply): alpha is split in 16-bit halves. */
static inline __u64 chima_ewma_scale(__u64 delta, __u64 alpha_q32) {
    __u64 hi = delta * (alpha_q32 >> 16);    /* < 2^64 */
    __u64 lo = delta * (alpha_q32 & 0xFFFF); /* < 2^64 - 2^48 */
    return (hi >> 16) + ((lo + ((hi & 0xFFFF) << 16) + (1ULL << 31)) >> 32);
}

/* avg <- (1 - a) avg + a x, with avg in ns * 2^16 and x in ns. */
static inline __u64 chima_ewma_update(__u64 avg_q16, __u32 sample_ns, __u64 alpha_q32) {
    __u64 x = (__u64)sample_ns << CHIMA_EWMA_FRAC_BITS;
    if (x >= avg_q16)
        return avg_q16 + chima_ewma_scale(x - avg_q16, alpha_q32);
    return avg_q16 - chima_ewma_scale(avg_q16 - x, alpha_q32);
}

/* Applies one delay sample to a segment: the first sample sets the average and a jitter
 * of 0 (as the prototype did); later ones update both EWMAs. */
static inline void chima_segment_apply_sample(struct chima_segment_state* s, __u32 sample_ns,
                                              __u64 alpha_q32) {
    if (s->samples == 0) {
        s->latency_q16 = (__u64)sample_ns << CHIMA_EWMA_FRAC_BITS;
        s->jitter_q16 = 0;
    } else {
        __u32 jitter = sample_ns >= s->last_sample_ns ? sample_ns - s->last_sample_ns
                                                      : s->last_sample_ns - sample_ns;
        s->latency_q16 = chima_ewma_update(s->latency_q16, sample_ns, alpha_q32);
        s->jitter_q16 = chima_ewma_update(s->jitter_q16, jitter, alpha_q32);
    }
    s->last_sample_ns = sample_ns;
    s->samples++;
}

/* ---- samples from a report ------------------------------------------------------------ */

/* The segment between two consecutive stack entries (`later` is newer, i.e. the lower
 * index) and its delay: later's ingress minus earlier's egress, modulo 2^32. Returns 0
 * when either timestamp is unavailable (all ones). */
static inline int chima_hop_pair_sample(const struct chima_int_hop* later,
                                        const struct chima_int_hop* earlier,
                                        struct chima_segment_key* key, __u32* delay_ns) {
    if (later->ingress_ts == CHIMA_INT_VALUE_UNAVAILABLE ||
        earlier->egress_ts == CHIMA_INT_VALUE_UNAVAILABLE)
        return 0;
    __u32 function_id = later->switch_id >> CHIMA_INT_FUNCTION_SHIFT;
    if (function_id != 0) {
        key->kind = CHIMA_SEGMENT_FUNCTION;
        key->a = function_id;
        key->b = 0;
    } else {
        key->kind = CHIMA_SEGMENT_LINK;
        key->a = earlier->switch_id & CHIMA_INT_SWITCH_ID_MASK;
        key->b = later->switch_id & CHIMA_INT_SWITCH_ID_MASK;
    }
    *delay_ns = later->ingress_ts - earlier->egress_ts;
    return 1;
}

/* Sequence-number bookkeeping: how many reports are missing between `last` and `seq`
 * (0 for the next one, a duplicate, or a reordered older one). */
static inline __u32 chima_seq_gap(__u32 last, __u32 seq) {
    __u32 step = seq - last;
    if (step == 0 || step >= 0x80000000u)
        return 0;
    return step - 1;
}

#endif /* CHIMA_COLLECTOR_H */
