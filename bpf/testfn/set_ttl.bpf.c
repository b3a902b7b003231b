/* Test function "set_ttl" for a switch slot. Sets the IPv4 TTL to 42: exercises deparsing and the
 * IPv4 checksum fix. Written by hand against chima/pipeline.h, the way chima-compile's output
 * looks. */
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
    if (pkt->hdr.ipv4_valid)
        pkt->hdr.ipv4.ttl = 42;
    CHIMA_RESUME(skb);
    return TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "GPL";
