/* The host client's view of an Ethernet / IPv4 / UDP-or-TCP frame, and the length and
 * checksum updates that go with inserting or removing bytes right behind the L4 header.
 *
 * Headers are copied out with bpf_skb_load_bytes(): the INT code changes the packet between
 * reads, which would invalidate direct packet pointers. */
#ifndef CHIMA_CLIENT_L4_PACKET_H
#define CHIMA_CLIENT_L4_PACKET_H

#include <linux/bpf.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "chima/int.h"

struct chima_client_packet {
    __u32 src_addr; /* host order */
    __u32 dst_addr;
    __u8 ver_ihl; /* IPv4 byte 0 */
    __u8 tos;     /* DSCP << 2 | ECN */
    __u16 total_len;
    __u8 protocol;
    __u8 fragment; /* MF set or a fragment offset: no L4 header to rely on */
    __u32 l4;      /* offset of the UDP/TCP header; 0 when neither or a fragment */
    __u32 l4_len;  /* UDP 8, TCP data offset * 4 */
    __u16 udp_len; /* UDP only */
    __u16 l4_csum; /* the UDP/TCP checksum field as it is */
};

static __always_inline __u32 chima_client_dscp(const struct chima_client_packet* p) {
    return p->tos >> 2;
}

/* Offset of the INT shim: right behind the L4 header. */
static __always_inline __u32 chima_client_int_at(const struct chima_client_packet* p) {
    return p->l4 + p->l4_len;
}

static __always_inline __u32 chima_client_csum_at(const struct chima_client_packet* p) {
    return p->l4 + (p->protocol == CHIMA_IPPROTO_UDP ? 6 : 16);
}

/* Returns 0 for an IPv4 frame (fills `p`), -1 otherwise. `p->l4` is 0 unless the packet
 * is an unfragmented UDP/TCP packet whose L4 header is complete. */
static __always_inline int chima_client_parse(struct __sk_buff* skb,
                                              struct chima_client_packet* p) {
    __u8 ip[CHIMA_IPV4_MIN_HLEN];
    __u8 ether_type[2];
    if (bpf_skb_load_bytes(skb, 12, ether_type, sizeof(ether_type)) ||
        chima_load_be16(ether_type) != CHIMA_ETH_P_IPV4)
        return -1;
    if (bpf_skb_load_bytes(skb, CHIMA_ETH_HLEN, ip, sizeof(ip)))
        return -1;
    __u32 ihl = (__u32)(ip[0] & 0xf) * 4;
    if ((ip[0] >> 4) != 4 || ihl < CHIMA_IPV4_MIN_HLEN)
        return -1;
    p->ver_ihl = ip[0];
    p->tos = ip[1];
    p->total_len = chima_load_be16(ip + 2);
    p->fragment = (chima_load_be16(ip + 6) & 0x3fff) != 0;
    p->protocol = ip[9];
    p->src_addr = chima_load_be32(ip + 12);
    p->dst_addr = chima_load_be32(ip + 16);
    p->l4 = 0;
    p->l4_len = 0;
    p->udp_len = 0;
    p->l4_csum = 0;
    if (p->fragment || p->total_len < ihl)
        return 0;

    __u32 l4 = CHIMA_ETH_HLEN + ihl;
    __u8 h[CHIMA_TCP_MIN_HLEN];
    if (p->protocol == CHIMA_IPPROTO_UDP) {
        if (bpf_skb_load_bytes(skb, l4, h, CHIMA_UDP_HLEN))
            return 0;
        p->l4_len = CHIMA_UDP_HLEN;
        p->udp_len = chima_load_be16(h + 4);
        p->l4_csum = chima_load_be16(h + 6);
    } else if (p->protocol == CHIMA_IPPROTO_TCP) {
        if (bpf_skb_load_bytes(skb, l4, h, CHIMA_TCP_MIN_HLEN))
            return 0;
        __u32 doff = (__u32)(h[12] >> 4) * 4;
        if (doff < CHIMA_TCP_MIN_HLEN)
            return 0;
        p->l4_len = doff;
        p->l4_csum = chima_load_be16(h + 16);
    } else {
        return 0;
    }
    if (ihl + p->l4_len > p->total_len || l4 + p->l4_len > skb->len) {
        p->l4_len = 0;
        return 0;
    }
    p->l4 = l4;
    return 0;
}

/* After `delta` bytes (signed, a multiple of 4) were inserted behind the L4 header, or
 * removed from there, and the packet's DSCP became `dscp`: writes the IPv4 TOS and total
 * length and the UDP length, and fixes the IPv4 header checksum and the pseudo-header and
 * header share of the L4 checksum. The caller accounts for the bytes themselves.
 *
 * Pseudo-header changes go through BPF_F_PSEUDO_HDR, so a CHECKSUM_PARTIAL skb (the usual
 * case for a packet a local socket sent through a veth) keeps a correct pseudo-header sum
 * while its payload sum is computed later, by whoever finishes the checksum. A UDP
 * checksum of 0 (none) stays 0 (BPF_F_MARK_MANGLED_0). */
static __always_inline int chima_client_fix_headers(struct __sk_buff* skb,
                                                    const struct chima_client_packet* p,
                                                    __s32 delta, __u8 dscp) {
    __u32 ip = CHIMA_ETH_HLEN;
    __u16 old_word0 = ((__u16)p->ver_ihl << 8) | p->tos;
    __u8 tos = (__u8)((dscp << 2) | (p->tos & 0x3));
    __u16 new_word0 = ((__u16)p->ver_ihl << 8) | tos;
    __u16 new_total = (__u16)(p->total_len + delta);
    __u8 head[4] = {p->ver_ihl, tos, (__u8)(new_total >> 8), (__u8)new_total};
    if (bpf_skb_store_bytes(skb, ip, head, sizeof(head), 0) ||
        bpf_l3_csum_replace(skb, ip + 10, bpf_htons(old_word0), bpf_htons(new_word0), 2) ||
        bpf_l3_csum_replace(skb, ip + 10, bpf_htons(p->total_len), bpf_htons(new_total), 2))
        return -1;

    __u32 csum_at = chima_client_csum_at(p);
    if (p->protocol == CHIMA_IPPROTO_UDP) {
        __u16 new_len = (__u16)(p->udp_len + delta);
        __be16 len_be = bpf_htons(new_len);
        __u64 flags = BPF_F_MARK_MANGLED_0 | 2;
        /* the UDP length counts twice: in the header and in the pseudo header */
        if (bpf_skb_store_bytes(skb, p->l4 + 4, &len_be, sizeof(len_be), 0) ||
            bpf_l4_csum_replace(skb, csum_at, bpf_htons(p->udp_len), len_be, flags) ||
            bpf_l4_csum_replace(skb, csum_at, bpf_htons(p->udp_len), len_be,
                                flags | BPF_F_PSEUDO_HDR))
            return -1;
        return 0;
    }
    /* TCP: only the pseudo header carries a length */
    __u16 ihl = (__u16)(p->ver_ihl & 0xf) * 4;
    __u16 old_len = p->total_len - ihl;
    __u16 new_len = new_total - ihl;
    if (bpf_l4_csum_replace(skb, csum_at, bpf_htons(old_len), bpf_htons(new_len),
                            2 | BPF_F_PSEUDO_HDR))
        return -1;
    return 0;
}

/* Adds the checksum difference `diff` of payload bytes to the L4 checksum. */
static __always_inline int chima_client_payload_csum(struct __sk_buff* skb,
                                                     const struct chima_client_packet* p,
                                                     __s64 diff) {
    __u64 flags = p->protocol == CHIMA_IPPROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0;
    return bpf_l4_csum_replace(skb, chima_client_csum_at(p), 0, diff, flags) ? -1 : 0;
}

#endif /* CHIMA_CLIENT_L4_PACKET_H */
