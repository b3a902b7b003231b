/* The floor of bench_hop: a "switch" that is one TC ingress program redirecting every frame
 * to the other port (bpf_redirect, no parsing, no maps). One instance per hop; user space
 * sets the egress ifindex before loading. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 target_ifindex = 0;

SEC("tc")
int hop_redirect(struct __sk_buff* skb) {
    (void)skb;
    return bpf_redirect(target_ifindex, 0);
}

char LICENSE[] SEC("license") = "GPL";
