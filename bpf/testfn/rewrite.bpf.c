/* Test function "rewrite": changes fields that are not byte-aligned (DSCP, ECN, flags) and
 * fields in the UDP/TCP pseudo header (source address) and the L4 header (destination port),
 * so the deparser's bit packing and every checksum fix are exercised. Written by hand
 * against chima/pipeline.h. */
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
    if (pkt->hdr.ipv4_valid) {
        pkt->hdr.ipv4.dscp = 46;             /* EF */
        pkt->hdr.ipv4.ecn = 1;               /* ECT(1) */
        pkt->hdr.ipv4.flags = 2;             /* DF */
        pkt->hdr.ipv4.src_addr = 0x0a090909; /* 10.9.9.9 */
    }
    if (pkt->hdr.udp_valid)
        pkt->hdr.udp.dst_port = 7777;
    if (pkt->hdr.tcp_valid) {
        pkt->hdr.tcp.dst_port = 7777;
        pkt->hdr.tcp.ecn = 2; /* CWR bit, between data offset and the control flags */
    }
    CHIMA_RESUME(skb);
    return TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "GPL";
