/* Counts packets and bytes, then passes them: the smallest program that exercises the
 * build recipe (clang -target bpf + bpftool skeleton) and BPF_PROG_TEST_RUN. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "chima/smoke.h"

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct chima_smoke_counter);
} counters SEC(".maps");

SEC("xdp")
int smoke_count(struct xdp_md *ctx) {
    __u32 key = 0;
    struct chima_smoke_counter *c = bpf_map_lookup_elem(&counters, &key);
    if (c) {
        __sync_fetch_and_add(&c->packets, 1);
        __sync_fetch_and_add(&c->bytes, ctx->data_end - ctx->data);
    }
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
