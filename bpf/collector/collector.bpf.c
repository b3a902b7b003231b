/* chima-collect's data path: an XDP program on the collector's interface.
 *
 * For each frame: parse it as a Telemetry Report v1.0 carrying an INT v1.0 stack (the
 * shared parser in chima/int.h). Frames not addressed to the report port pass untouched;
 * malformed reports are counted by reason and dropped. From a good report it takes one
 * delay sample per pair of consecutive hops (a link, or a function when the newer hop
 * carries a function id), updates that segment's EWMAs of delay and jitter in fixed point,
 * re-checks the watched sections containing the segment and, when a section's sum crosses
 * its threshold, sends an event on the ring buffer at once. Reports are consumed (dropped):
 * nothing above the collector needs them.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* The shared headers' helpers are `static inline`, which clang may still emit as BPF-to-BPF
 * calls (it did for the report header decoder): force them inline on this hot path. */
#pragma clang attribute push(__attribute__((always_inline)), apply_to = function)
#include "chima/collector.h"
#pragma clang attribute pop

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct chima_collector_config);
} collector_config SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct chima_collector_stats);
} collector_stats SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, CHIMA_COLLECTOR_MAX_SEGMENTS);
    __type(key, struct chima_segment_key);
    __type(value, struct chima_segment_state);
} segments SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, CHIMA_COLLECTOR_MAX_SECTIONS);
    __type(key, __u32);
    __type(value, struct chima_section);
} sections SEC(".maps");

/* Sequence numbers per reporting switch: ids below CHIMA_COLLECTOR_MAX_SWITCHES (all that
 * chima-net hands out) index an array, whose lookup the kernel inlines (a hash lookup cost
 * 6 ns a report); any other id goes to the hash. An array entry with reports == 0 is unused. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, CHIMA_COLLECTOR_MAX_SWITCHES);
    __type(key, __u32);
    __type(value, struct chima_switch_seq);
} switch_seq_low SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, CHIMA_COLLECTOR_MAX_SWITCHES);
    __type(key, __u32);
    __type(value, struct chima_switch_seq);
} switch_seq SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, CHIMA_COLLECTOR_RINGBUF_BYTES);
} events SEC(".maps");

/* A new segment's first state: the zeroed value (the first sample initialises it). */
static const struct chima_segment_state fresh_segment = {};

static __always_inline void count_sequence(__u32 switch_id, __u32 seq) {
    struct chima_switch_seq* s;
    if (switch_id < CHIMA_COLLECTOR_MAX_SWITCHES) {
        s = bpf_map_lookup_elem(&switch_seq_low, &switch_id);
        if (!s)
            return;
        if (s->reports == 0) {
            s->last_seq = seq;
            s->reports = 1;
            return;
        }
    } else {
        s = bpf_map_lookup_elem(&switch_seq, &switch_id);
        if (!s) {
            struct chima_switch_seq init = {.last_seq = seq, .reports = 1};
            bpf_map_update_elem(&switch_seq, &switch_id, &init, BPF_NOEXIST);
            return;
        }
    }
    s->gaps += chima_seq_gap(s->last_seq, seq);
    if (seq - s->last_seq < 0x80000000u)
        s->last_seq = seq;
    s->reports++;
}

static __always_inline void send_event(struct chima_collector_stats* stats, __u32 section_id,
                                       __u8 metric, __u8 above, __u64 value_ns, __u64 threshold_ns,
                                       const struct chima_segment_key* segment,
                                       __u64 segment_value_ns, __u64 now) {
    struct chima_collector_event* e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e) {
        if (stats)
            stats->events_lost++;
        return;
    }
    e->ts_ns = now;
    e->value_ns = value_ns;
    e->threshold_ns = threshold_ns;
    e->section = section_id;
    e->metric = metric;
    e->above = above;
    e->pad = 0;
    e->segment = *segment;
    e->pad2 = 0;
    e->segment_value_ns = segment_value_ns;
    bpf_ringbuf_submit(e, 0);
}

/* Adds a segment's change to one watched section's sums and sends an event when a sum
 * crosses its threshold. The flags are read first without the lock: a crossing is rare,
 * and only then is it decided (once) under the lock. */
static __always_inline void update_section(struct chima_collector_stats* stats, __u32 section_id,
                                           __s64 latency_delta, __s64 jitter_delta,
                                           const struct chima_segment_key* changed,
                                           __u64 changed_latency_ns, __u64 changed_jitter_ns) {
    struct chima_section* sec = bpf_map_lookup_elem(&sections, &section_id);
    if (!sec)
        return;
    if (latency_delta)
        __sync_fetch_and_add(&sec->latency_sum_q16, latency_delta);
    if (jitter_delta)
        __sync_fetch_and_add(&sec->jitter_sum_q16, jitter_delta);
    __u64 latency_ns = sec->latency_sum_q16 >> CHIMA_EWMA_FRAC_BITS;
    __u64 jitter_ns = sec->jitter_sum_q16 >> CHIMA_EWMA_FRAC_BITS;
    __u64 lat_threshold = sec->latency_threshold_ns;
    __u64 jit_threshold = sec->jitter_threshold_ns;
    __u8 lat_above = lat_threshold != 0 && latency_ns > lat_threshold;
    __u8 jit_above = jit_threshold != 0 && jitter_ns > jit_threshold;
    if (sec->latency_above == lat_above && sec->jitter_above == jit_above)
        return;

    __u8 lat_changed, jit_changed;
    bpf_spin_lock(&sec->lock);
    lat_changed = sec->latency_above != lat_above;
    jit_changed = sec->jitter_above != jit_above;
    sec->latency_above = lat_above;
    sec->jitter_above = jit_above;
    bpf_spin_unlock(&sec->lock);

    __u64 now = bpf_ktime_get_ns();
    if (lat_changed)
        send_event(stats, section_id, CHIMA_METRIC_LATENCY, lat_above, latency_ns, lat_threshold,
                   changed, changed_latency_ns, now);
    if (jit_changed)
        send_event(stats, section_id, CHIMA_METRIC_JITTER, jit_above, jitter_ns, jit_threshold,
                   changed, changed_jitter_ns, now);
}

/* Not inlined: as a function of its own it keeps the caller's loop free of register spills
 * (1 ns a sample). */
static __noinline void apply_sample(struct chima_collector_stats* stats,
                                    const struct chima_segment_key* key, __u32 delay_ns,
                                    __u64 alpha_q32, __u64 now) {
    struct chima_segment_state* s = bpf_map_lookup_elem(&segments, key);
    if (!s) {
        bpf_map_update_elem(&segments, key, &fresh_segment, BPF_NOEXIST);
        s = bpf_map_lookup_elem(&segments, key);
        if (!s) {
            if (stats)
                stats->segments_full++;
            return;
        }
    }
    __u32 watched[CHIMA_SEGMENT_MAX_SECTIONS];
    bpf_spin_lock(&s->lock);
    __u64 old_latency = s->latency_q16, old_jitter = s->jitter_q16;
    chima_segment_apply_sample(s, delay_ns, alpha_q32);
    __s64 latency_delta = (__s64)(s->latency_q16 - old_latency);
    __s64 jitter_delta = (__s64)(s->jitter_q16 - old_jitter);
    __u64 latency_ns = s->latency_q16 >> CHIMA_EWMA_FRAC_BITS;
    __u64 jitter_ns = s->jitter_q16 >> CHIMA_EWMA_FRAC_BITS;
    s->last_update_ns = now;
    /* The list ends at its first 0: an unwatched segment costs one load here. */
    for (int i = 0; i < CHIMA_SEGMENT_MAX_SECTIONS; i++) {
        watched[i] = s->sections[i];
        if (watched[i] == 0)
            break;
    }
    bpf_spin_unlock(&s->lock);
    if (stats)
        stats->samples++;

    for (int i = 0; i < CHIMA_SEGMENT_MAX_SECTIONS; i++) {
        if (watched[i] == 0)
            break;
        update_section(stats, watched[i], latency_delta, jitter_delta, key, latency_ns, jitter_ns);
    }
}

SEC("xdp")
int collector_xdp(struct xdp_md* ctx) {
    const __u8* data = (const __u8*)(long)ctx->data;
    const __u8* end = (const __u8*)(long)ctx->data_end;
    __u32 zero = 0;

    struct chima_collector_config* cfg = bpf_map_lookup_elem(&collector_config, &zero);
    __u16 port = CHIMA_INT_REPORT_UDP_PORT;
    __u64 alpha = CHIMA_COLLECTOR_DEFAULT_ALPHA;
    if (cfg) {
        if (cfg->udp_port)
            port = cfg->udp_port;
        if (cfg->alpha_q32)
            alpha = cfg->alpha_q32;
    }

    struct chima_report report;
    enum chima_report_status status = chima_parse_report(data, end, port, &report);
    if (status == CHIMA_REPORT_NOT_A_REPORT)
        return XDP_PASS;

    struct chima_collector_stats* stats = bpf_map_lookup_elem(&collector_stats, &zero);
    if (status != CHIMA_REPORT_OK) {
        if (stats && status < CHIMA_REPORT_STATUS_COUNT)
            stats->malformed[status]++;
        return XDP_DROP;
    }
    if (stats)
        stats->reports++;
    count_sequence(report.header.switch_id, report.header.seq_no);

    __u64 now = bpf_ktime_get_coarse_ns();
    __u32 hops = report.hop_count;
    for (__u32 i = 0; i + 1 < CHIMA_INT_MAX_HOPS; i++) {
        if (i + 1 >= hops)
            break;
        struct chima_segment_key key;
        __u32 delay_ns;
        if (!chima_hop_pair_sample(&report.hops[i], &report.hops[i + 1], &key, &delay_ns)) {
            if (stats)
                stats->unavailable_samples++;
            continue;
        }
        apply_sample(stats, &key, delay_ns, alpha, now);
    }
    return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
