/* The CHIMA host client, attached to TC of a host's uplink (docs/architecture.md, "Segment
 * routing" and "Container functions").
 *
 *   egress    puts back the INT bytes saved for the packet's source (int_transparent.h),
 *             then, for an IPv4 packet whose (source, destination) is a managed flow,
 *             pushes the flow's label stack between Ethernet and IPv4 (EtherType 0x8847,
 *             RFC 3032 entries). Anything else leaves unchanged.
 *   ingress   strips the INT bytes of a packet handed to this host (DSCP 0x17), so the
 *             container function behind it sees plain UDP/TCP.
 *   function_out  TC ingress of a function's veth (host side): sends everything the
 *             function emits out of the uplink, through the egress program above. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "chima/client.h"
#include "counters.h"
#include "int_transparent.h"
#include "l4_packet.h"

#define CHIMA_ETH_LEN 14
#define CHIMA_ETH_P_MPLS 0x8847

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    /* No preallocation: an update frees the old value only after an RCU grace period, so a
     * packet in flight reads either the whole old stack or the whole new one. */
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(max_entries, CHIMA_MAX_FLOWS);
    __type(key, struct chima_flow_key);
    __type(value, struct chima_flow_stack);
} chima_flows SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u32);
} chima_client_uplink SEC(".maps");

SEC("tc")
int chima_client_function_out(struct __sk_buff* skb) {
    __u32 key = 0;
    __u32* uplink = bpf_map_lookup_elem(&chima_client_uplink, &key);
    if (!uplink || *uplink == 0)
        return TC_ACT_OK; /* no uplink known: the host bridge delivers as before */
    return bpf_redirect(*uplink, 0);
}

SEC("tc")
int chima_client_ingress(struct __sk_buff* skb) {
    struct chima_client_packet p;
    if (chima_client_parse(skb, &p) || chima_client_dscp(&p) != CHIMA_INT_DSCP)
        return TC_ACT_OK;
    return chima_client_int_strip(skb, &p);
}

SEC("tc")
int chima_client_egress(struct __sk_buff* skb) {
    struct chima_client_packet p;
    if (chima_client_parse(skb, &p)) {
        chima_client_count(CHIMA_CLIENT_UNMANAGED, 1);
        return TC_ACT_OK;
    }
    if (chima_client_int_restore(skb, &p) < 0)
        return TC_ACT_SHOT;

    struct chima_flow_key key = {.src_addr = p.src_addr, .dst_addr = p.dst_addr};
    struct chima_flow_stack* flow = bpf_map_lookup_elem(&chima_flows, &key);
    if (!flow) {
        chima_client_count(CHIMA_CLIENT_UNMANAGED, 1);
        return TC_ACT_OK;
    }

    __u32 depth = flow->depth;
    if (depth == 0 || depth > CHIMA_MAX_LABELS) {
        chima_client_count(CHIMA_CLIENT_BAD_STACK, 1);
        return TC_ACT_SHOT;
    }
    __be32 entries[CHIMA_MAX_LABELS] = {};
#pragma unroll
    for (int i = 0; i < CHIMA_MAX_LABELS; i++) {
        if (i < depth) {
            __u32 bos = (i + 1 == depth) ? 1u : 0u;
            __u32 word = ((flow->labels[i] & 0xFFFFFu) << 12) | ((__u32)(flow->tc & 0x7) << 9) |
                         (bos << 8) | flow->ttl;
            entries[i] = bpf_htonl(word);
        }
    }

    __u32 bytes = skb->len;
    __u32 room = 4 * depth;
    if (bpf_skb_adjust_room(skb, room, BPF_ADJ_ROOM_MAC, 0) ||
        bpf_skb_store_bytes(skb, CHIMA_ETH_LEN, entries, room, 0)) {
        chima_client_count(CHIMA_CLIENT_PUSH_FAILED, 1);
        return TC_ACT_SHOT;
    }
    __be16 mpls = bpf_htons(CHIMA_ETH_P_MPLS);
    if (bpf_skb_store_bytes(skb, 12, &mpls, sizeof(mpls), 0)) {
        chima_client_count(CHIMA_CLIENT_PUSH_FAILED, 1);
        return TC_ACT_SHOT;
    }
    chima_client_count(CHIMA_CLIENT_PUSHED, 1);
    chima_client_count(CHIMA_CLIENT_PUSHED_BYTES, bytes);
    return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
