/* The sink of bench_hop: TC ingress on the sink's interfaces counts every frame (per
 * receiving ifindex, per CPU) and drops it, so the count is what arrived, not what was sent. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#define HOP_SINK_SLOTS 256

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, HOP_SINK_SLOTS);
    __type(key, __u32);
    __type(value, __u64);
} hop_sink_count SEC(".maps");

SEC("tc")
int hop_sink(struct __sk_buff* skb) {
    __u32 key = skb->ifindex % HOP_SINK_SLOTS;
    __u64* n = bpf_map_lookup_elem(&hop_sink_count, &key);
    if (n)
        *n += 1;
    return TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "GPL";
