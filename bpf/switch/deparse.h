/* Deparser: pops the evaluated labels and writes back every header field a function or the
 * forwarding stage changed (network byte order), fixing the IPv4 header checksum and the
 * UDP/TCP checksum incrementally. Returns 0, or -1 when a helper refused. */
#ifndef CHIMA_SWITCH_DEPARSE_H
#define CHIMA_SWITCH_DEPARSE_H

#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>

#include "chima/pipeline.h"
#include "parse.h"

#define CHIMA_SHIFT_CHUNK 128

static __always_inline void chima_put16(__u8* p, __u16 v) {
    p[0] = v >> 8;
    p[1] = v & 0xff;
}

static __always_inline void chima_put32(__u8* p, __u32 v) {
    p[0] = v >> 24;
    p[1] = (v >> 16) & 0xff;
    p[2] = (v >> 8) & 0xff;
    p[3] = v & 0xff;
}

static __always_inline void chima_put_mac(__u8* p, __u64 v) {
    p[0] = (v >> 40) & 0xff;
    p[1] = (v >> 32) & 0xff;
    p[2] = (v >> 24) & 0xff;
    p[3] = (v >> 16) & 0xff;
    p[4] = (v >> 8) & 0xff;
    p[5] = v & 0xff;
}

/* Removing bytes in the middle of an skb: bpf_skb_adjust_room() refuses MPLS packets
 * (skb->protocol must be IPv4/IPv6), so the bytes behind the popped labels are moved down
 * in chunks and the tail is trimmed. Cost grows with the packet, but only labelled packets
 * that pop pay it. */
struct chima_shift {
    struct __sk_buff* skb;
    __u32 dst;
    __u32 src;
    __u32 remaining;
    int err;
};

static long chima_shift_chunk(__u32 index, void* arg) {
    struct chima_shift* s = arg;
    __u8 buf[CHIMA_SHIFT_CHUNK];
    (void)index;
    __u32 n = s->remaining;
    if (n == 0)
        return 1;
    if (n >= CHIMA_SHIFT_CHUNK) {
        n = CHIMA_SHIFT_CHUNK;
        if (bpf_skb_load_bytes(s->skb, s->src, buf, CHIMA_SHIFT_CHUNK) ||
            bpf_skb_store_bytes(s->skb, s->dst, buf, CHIMA_SHIFT_CHUNK, 0)) {
            s->err = 1;
            return 1;
        }
    } else {
        n &= CHIMA_SHIFT_CHUNK - 1;
        if (n == 0)
            return 1;
        if (bpf_skb_load_bytes(s->skb, s->src, buf, n) ||
            bpf_skb_store_bytes(s->skb, s->dst, buf, n, 0)) {
            s->err = 1;
            return 1;
        }
    }
    s->src += n;
    s->dst += n;
    s->remaining -= n;
    return 0;
}

/* Removes `bytes` bytes right after the Ethernet header. */
static __always_inline int chima_pop_bytes(struct __sk_buff* skb, __u32 bytes) {
    __u32 len = skb->len;
    if (len < CHIMA_ETH_LEN + bytes)
        return -1;
    struct chima_shift s = {
        .skb = skb,
        .dst = CHIMA_ETH_LEN,
        .src = CHIMA_ETH_LEN + bytes,
        .remaining = len - CHIMA_ETH_LEN - bytes,
    };
    __u32 chunks = s.remaining / CHIMA_SHIFT_CHUNK + 1;
    bpf_loop(chunks, chima_shift_chunk, &s, 0);
    if (s.err || s.remaining)
        return -1;
    /* The kernel refuses to trim below what it believes the headers span (on small frames
     * that is the L4 header's old offset). The bytes past the IPv4 total length are then
     * left as trailing padding, which every receiver ignores, as Ethernet padding. */
    bpf_skb_change_tail(skb, len - bytes, 0);
    return 0;
}

static __always_inline int chima_ethernet_changed(const struct chima_ethernet_h* a,
                                                  const struct chima_ethernet_h* b) {
    return a->dst_addr != b->dst_addr || a->src_addr != b->src_addr ||
           a->ether_type != b->ether_type;
}

/* Writes the 20-byte fixed IPv4 header (checksum field zero). */
static __always_inline void chima_ipv4_image(__u8* p, const struct chima_ipv4_h* ip) {
    p[0] = (__u8)((ip->version << 4) | (ip->ihl & 0xf));
    p[1] = (__u8)((ip->dscp << 2) | (ip->ecn & 0x3));
    chima_put16(p + 2, ip->len);
    chima_put16(p + 4, ip->identification);
    chima_put16(p + 6, (__u16)(((__u16)ip->flags << 13) | (ip->frag_offset & 0x1fff)));
    p[8] = ip->ttl;
    p[9] = ip->protocol;
    p[10] = 0;
    p[11] = 0;
    chima_put32(p + 12, ip->src_addr);
    chima_put32(p + 16, ip->dst_addr);
}

/* Writes the 20-byte TCP header without options (checksum field zero). */
static __always_inline void chima_tcp_image(__u8* p, const struct chima_tcp_h* tcp) {
    chima_put16(p, tcp->src_port);
    chima_put16(p + 2, tcp->dst_port);
    chima_put32(p + 4, tcp->seq_no);
    chima_put32(p + 8, tcp->ack_no);
    chima_put16(p + 12, (__u16)(((__u16)tcp->data_offset << 12) | ((__u16)(tcp->res & 0x7) << 9) |
                                ((__u16)(tcp->ecn & 0x7) << 6) | (tcp->ctrl & 0x3f)));
    chima_put16(p + 14, tcp->window);
    p[16] = 0;
    p[17] = 0;
    chima_put16(p + 18, tcp->urgent_ptr);
}

/* Writes the 8-byte UDP header (checksum field zero). */
static __always_inline void chima_udp_image(__u8* p, const struct chima_udp_h* udp) {
    chima_put16(p, udp->src_port);
    chima_put16(p + 2, udp->dst_port);
    chima_put16(p + 4, udp->len);
    p[6] = 0;
    p[7] = 0;
}

/* The part of the pseudo header that can change: addresses, protocol, L4 length. */
static __always_inline void chima_pseudo_image(__u8* p, const struct chima_headers* h) {
    chima_put32(p, h->ipv4.src_addr);
    chima_put32(p + 4, h->ipv4.dst_addr);
    p[8] = 0;
    p[9] = h->ipv4.protocol;
    __u16 l4_len = h->udp_valid ? h->udp.len : (__u16)(h->ipv4.len - (h->ipv4.ihl & 0xf) * 4);
    chima_put16(p + 10, l4_len);
}

/* Writes IPv4 and L4 back at `l3` / `l4` when they changed. */
static __always_inline int chima_deparse_l3l4(struct __sk_buff* skb, struct chima_packet* pkt,
                                              __u32 l3, __u32 l4) {
    const struct chima_headers* now = &pkt->hdr;
    const struct chima_headers* was = &pkt->state.orig;
    __u8 old_img[20], new_img[20];

    chima_ipv4_image(old_img, &was->ipv4);
    chima_ipv4_image(new_img, &now->ipv4);
    int ip_changed = 0;
#pragma unroll
    for (int i = 0; i < 20; i++)
        ip_changed |= old_img[i] ^ new_img[i];
    if (ip_changed) {
        __s64 ip_diff = bpf_csum_diff((__be32*)old_img, 20, (__be32*)new_img, 20, 0);
        /* Keep the checksum the packet carries, then adjust it by the difference. */
        new_img[10] = was->ipv4.hdr_checksum >> 8;
        new_img[11] = was->ipv4.hdr_checksum & 0xff;
        if (bpf_skb_store_bytes(skb, l3, new_img, 20, 0))
            return -1;
        if (bpf_l3_csum_replace(skb, l3 + 10, 0, ip_diff, 0))
            return -1;
    }
    if (!now->udp_valid && !now->tcp_valid)
        return 0;

    __s64 pseudo_diff = 0;
    if (ip_changed) {
        __u8 old_pseudo[12], new_pseudo[12];
        chima_pseudo_image(old_pseudo, was);
        chima_pseudo_image(new_pseudo, now);
        pseudo_diff = bpf_csum_diff((__be32*)old_pseudo, 12, (__be32*)new_pseudo, 12, 0);
    }

    if (now->udp_valid) {
        __u8 old_udp[8], new_udp[8];
        chima_udp_image(old_udp, &was->udp);
        chima_udp_image(new_udp, &now->udp);
        int udp_changed = 0;
#pragma unroll
        for (int i = 0; i < 8; i++)
            udp_changed |= old_udp[i] ^ new_udp[i];
        __u32 csum_off = l4 + 6;
        if (udp_changed) {
            __s64 udp_diff = bpf_csum_diff((__be32*)old_udp, 8, (__be32*)new_udp, 8, 0);
            new_udp[6] = was->udp.checksum >> 8;
            new_udp[7] = was->udp.checksum & 0xff;
            if (bpf_skb_store_bytes(skb, l4, new_udp, 8, 0))
                return -1;
            if (bpf_l4_csum_replace(skb, csum_off, 0, udp_diff, BPF_F_MARK_MANGLED_0))
                return -1;
        }
        if (ip_changed && bpf_l4_csum_replace(skb, csum_off, 0, pseudo_diff,
                                              BPF_F_MARK_MANGLED_0 | BPF_F_PSEUDO_HDR))
            return -1;
        return 0;
    }

    __u8 old_tcp[20], new_tcp[20];
    chima_tcp_image(old_tcp, &was->tcp);
    chima_tcp_image(new_tcp, &now->tcp);
    int tcp_changed = 0;
#pragma unroll
    for (int i = 0; i < 20; i++)
        tcp_changed |= old_tcp[i] ^ new_tcp[i];
    __u32 csum_off = l4 + 16;
    if (tcp_changed) {
        __s64 tcp_diff = bpf_csum_diff((__be32*)old_tcp, 20, (__be32*)new_tcp, 20, 0);
        new_tcp[16] = was->tcp.checksum >> 8;
        new_tcp[17] = was->tcp.checksum & 0xff;
        if (bpf_skb_store_bytes(skb, l4, new_tcp, 20, 0))
            return -1;
        if (bpf_l4_csum_replace(skb, csum_off, 0, tcp_diff, 0))
            return -1;
    }
    if (ip_changed && bpf_l4_csum_replace(skb, csum_off, 0, pseudo_diff, BPF_F_PSEUDO_HDR))
        return -1;
    return 0;
}

/* Pops `pop` labels and writes back changed headers. */
static __always_inline int chima_deparse(struct __sk_buff* skb, struct chima_packet* pkt,
                                         __u32 pop) {
    pop &= 0xf;
    if (pop > 0 && chima_pop_bytes(skb, 4 * pop))
        return -1;

    if (chima_ethernet_changed(&pkt->hdr.ethernet, &pkt->state.orig.ethernet)) {
        __u8 eth[CHIMA_ETH_LEN];
        chima_put_mac(eth, pkt->hdr.ethernet.dst_addr);
        chima_put_mac(eth + 6, pkt->hdr.ethernet.src_addr);
        chima_put16(eth + 12, pkt->hdr.ethernet.ether_type);
        if (bpf_skb_store_bytes(skb, 0, eth, CHIMA_ETH_LEN, 0))
            return -1;
    }
    if (!pkt->hdr.ipv4_valid || !pkt->state.orig.ipv4_valid)
        return 0;
    __u32 shift = 4 * pop;
    return chima_deparse_l3l4(skb, pkt, pkt->state.l3_offset - shift, pkt->state.l4_offset - shift);
}

#endif /* CHIMA_SWITCH_DEPARSE_H */
