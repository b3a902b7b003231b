/* Test function "drop" for a switch slot. Calls mark_to_drop(): the pipeline must drop and count
 * the packet. Written by hand against chima/pipeline.h, the way chima-compile's output looks. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "chima/pipeline.h"

CHIMA_SHARED_MAPS

SEC("tc")
int chima_function(struct __sk_buff* skb) {
    struct chima_packet* pkt = CHIMA_PACKET();
    if (!pkt)
        return TC_ACT_SHOT;
    pkt->std.drop = 1;
    CHIMA_RESUME(skb);
    return TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "GPL";
