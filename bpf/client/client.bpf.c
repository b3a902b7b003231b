/* The CHIMA host client (DESIGN.md section 4), attached to TC egress of a host interface:
 * for an IPv4 packet whose (source, destination) is a managed flow, pushes the flow's label
 * stack between Ethernet and IPv4 (EtherType 0x8847, RFC 3032 entries). Anything else
 * leaves unchanged.
 *
 * Reserved for issue #5: an ingress program on the same interface that strips INT data
 * before a packet reaches a container function (and restores it on the way out). It will
 * live beside chima_client_egress in this object. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "chima/client.h"

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

SEC("tc")
int chima_client_egress(struct __sk_buff* skb) {
    const __u8* data = (const __u8*)(long)skb->data;
    const void* end = (const void*)(long)skb->data_end;
    if ((const void*)(data + CHIMA_ETH_LEN + 20) > end || data[12] != (ETH_P_IP >> 8) ||
        data[13] != (ETH_P_IP & 0xff)) {
        chima_client_count(CHIMA_CLIENT_UNMANAGED, 1);
        return TC_ACT_OK;
    }
    const __u8* ip = data + CHIMA_ETH_LEN;
    struct chima_flow_key key = {
        .src_addr = ((__u32)ip[12] << 24) | ((__u32)ip[13] << 16) | ((__u32)ip[14] << 8) | ip[15],
        .dst_addr = ((__u32)ip[16] << 24) | ((__u32)ip[17] << 16) | ((__u32)ip[18] << 8) | ip[19],
    };
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
