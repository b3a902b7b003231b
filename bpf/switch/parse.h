/* Parser: Ethernet, up to CHIMA_MAX_LABELS MPLS labels, IPv4, UDP/TCP into the scratch
 * struct (host byte order). Returns 0 or a drop reason (enum chima_drop_reason). */
#ifndef CHIMA_SWITCH_PARSE_H
#define CHIMA_SWITCH_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "chima/pipeline.h"
#include "chima/switch.h"

#define CHIMA_ETH_LEN 14
#define CHIMA_ETH_P_MPLS 0x8847
#define CHIMA_MPLS_BOS 0x100u
#define CHIMA_IPV4_MIN_LEN 20
#define CHIMA_UDP_LEN 8
#define CHIMA_TCP_MIN_LEN 20
/* Headers the parser reads directly: Ethernet + 8 labels + IPv4 with options + TCP. */
#define CHIMA_PARSE_SPAN (CHIMA_ETH_LEN + 4 * CHIMA_MAX_LABELS + 60 + 60)

static __always_inline __u64 chima_load_mac(const __u8* p) {
    return ((__u64)p[0] << 40) | ((__u64)p[1] << 32) | ((__u64)p[2] << 24) | ((__u64)p[3] << 16) |
           ((__u64)p[4] << 8) | (__u64)p[5];
}

static __always_inline __u16 chima_load16(const __u8* p) {
    return (__u16)(((__u16)p[0] << 8) | p[1]);
}

static __always_inline __u32 chima_load32(const __u8* p) {
    return ((__u32)p[0] << 24) | ((__u32)p[1] << 16) | ((__u32)p[2] << 8) | (__u32)p[3];
}

static __always_inline int chima_parse_l4(struct chima_packet* pkt, const __u8* l4,
                                          const void* end) {
    struct chima_ipv4_h* ip = &pkt->hdr.ipv4;
    /* Only the first fragment carries the L4 header. */
    if (ip->frag_offset != 0)
        return 0;
    if (ip->protocol == IPPROTO_UDP) {
        if ((const void*)(l4 + CHIMA_UDP_LEN) > end)
            return CHIMA_DROP_TRUNCATED_L4;
        struct chima_udp_h* udp = &pkt->hdr.udp;
        udp->src_port = chima_load16(l4);
        udp->dst_port = chima_load16(l4 + 2);
        udp->len = chima_load16(l4 + 4);
        udp->checksum = chima_load16(l4 + 6);
        pkt->hdr.udp_valid = 1;
        pkt->meta.l4_src_port = udp->src_port;
        pkt->meta.l4_dst_port = udp->dst_port;
    } else if (ip->protocol == IPPROTO_TCP) {
        if ((const void*)(l4 + CHIMA_TCP_MIN_LEN) > end)
            return CHIMA_DROP_TRUNCATED_L4;
        struct chima_tcp_h* tcp = &pkt->hdr.tcp;
        tcp->src_port = chima_load16(l4);
        tcp->dst_port = chima_load16(l4 + 2);
        tcp->seq_no = chima_load32(l4 + 4);
        tcp->ack_no = chima_load32(l4 + 8);
        __u16 word = chima_load16(l4 + 12);
        tcp->data_offset = word >> 12;
        tcp->res = (word >> 9) & 0x7;
        tcp->ecn = (word >> 6) & 0x7;
        tcp->ctrl = word & 0x3f;
        tcp->window = chima_load16(l4 + 14);
        tcp->checksum = chima_load16(l4 + 16);
        tcp->urgent_ptr = chima_load16(l4 + 18);
        if (tcp->data_offset < 5)
            return CHIMA_DROP_TRUNCATED_L4;
        pkt->hdr.tcp_valid = 1;
        pkt->meta.l4_src_port = tcp->src_port;
        pkt->meta.l4_dst_port = tcp->dst_port;
    }
    return 0;
}

static __always_inline int chima_parse_ipv4(struct chima_packet* pkt, const __u8* l3,
                                            const void* end, int under_mpls) {
    if ((const void*)(l3 + CHIMA_IPV4_MIN_LEN) > end)
        return CHIMA_DROP_TRUNCATED_IPV4;
    struct chima_ipv4_h* ip = &pkt->hdr.ipv4;
    ip->version = l3[0] >> 4;
    ip->ihl = l3[0] & 0xf;
    if (ip->version != 4)
        return under_mpls ? CHIMA_DROP_MPLS_NOT_IPV4 : CHIMA_DROP_TRUNCATED_IPV4;
    if (ip->ihl < 5)
        return CHIMA_DROP_TRUNCATED_IPV4;
    ip->dscp = l3[1] >> 2;
    ip->ecn = l3[1] & 0x3;
    ip->len = chima_load16(l3 + 2);
    ip->identification = chima_load16(l3 + 4);
    __u16 frag = chima_load16(l3 + 6);
    ip->flags = frag >> 13;
    ip->frag_offset = frag & 0x1fff;
    ip->ttl = l3[8];
    ip->protocol = l3[9];
    ip->hdr_checksum = chima_load16(l3 + 10);
    ip->src_addr = chima_load32(l3 + 12);
    ip->dst_addr = chima_load32(l3 + 16);
    pkt->hdr.ipv4_valid = 1;

    __u32 ihl_bytes = (__u32)(ip->ihl & 0xf) * 4;
    const __u8* l4 = l3 + ihl_bytes;
    if ((const void*)l4 > end)
        return CHIMA_DROP_TRUNCATED_IPV4;
    pkt->state.l4_offset = pkt->state.l3_offset + ihl_bytes;
    return chima_parse_l4(pkt, l4, end);
}

/* Parses the packet into `pkt` (already zeroed). */
static __always_inline int chima_parse(struct __sk_buff* skb, struct chima_packet* pkt) {
    /* Headers may sit in paged data for large packets: make the span we read linear. */
    __u32 linear = skb->data_end - skb->data;
    if (linear < CHIMA_PARSE_SPAN && skb->len > linear) {
        bpf_skb_pull_data(skb, skb->len < CHIMA_PARSE_SPAN ? skb->len : CHIMA_PARSE_SPAN);
    }
    const __u8* data = (const __u8*)(long)skb->data;
    const void* end = (const void*)(long)skb->data_end;

    if ((const void*)(data + CHIMA_ETH_LEN) > end)
        return CHIMA_DROP_TRUNCATED_ETHERNET;
    pkt->hdr.ethernet.dst_addr = chima_load_mac(data);
    pkt->hdr.ethernet.src_addr = chima_load_mac(data + 6);
    pkt->hdr.ethernet.ether_type = chima_load16(data + 12);
    pkt->hdr.ethernet_valid = 1;

    __u16 ether_type = pkt->hdr.ethernet.ether_type;
    if (ether_type == ETH_P_IP) {
        pkt->state.l3_offset = CHIMA_ETH_LEN;
        return chima_parse_ipv4(pkt, data + CHIMA_ETH_LEN, end, 0);
    }
    if (ether_type != CHIMA_ETH_P_MPLS)
        return 0; /* ARP and others: Ethernet only */

    __u32 count = 0;
#pragma unroll
    for (int i = 0; i < CHIMA_MAX_LABELS; i++) {
        const __u8* lse = data + CHIMA_ETH_LEN + 4 * i;
        if ((const void*)(lse + 4) > end)
            return CHIMA_DROP_TRUNCATED_MPLS;
        __u32 entry = chima_load32(lse);
        pkt->state.labels[i] = entry;
        if (entry & CHIMA_MPLS_BOS) {
            count = i + 1;
            break;
        }
    }
    if (count == 0)
        return CHIMA_DROP_STACK_TOO_DEEP;
    pkt->state.label_count = count;
    count &= 0xf; /* bound for the verifier: count <= CHIMA_MAX_LABELS */
    pkt->state.l3_offset = CHIMA_ETH_LEN + 4 * count;
    return chima_parse_ipv4(pkt, data + CHIMA_ETH_LEN + 4 * count, end, 1);
}

#endif /* CHIMA_SWITCH_PARSE_H */
