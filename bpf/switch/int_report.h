/* INT sink: the Telemetry Report v1.0 (docs/architecture.md, "Telemetry"). The sink has
 * already pushed its own hop; the frame is Ethernet / IPv4 / UDP|TCP / INT / payload with
 * every label popped. chima_int_send_report() puts the report headers in front of it, sends
 * a clone to the collector's port and takes the headers off again, so the caller goes on to
 * strip the INT data from the very same frame.
 *
 * A TC program cannot build a second packet; bpf_clone_redirect() of the frame itself, in
 * report form, is the one way to emit one. Taking the headers off moves the frame down by
 * CHIMA_INT_REPORT_OUTER_BYTES (bpf_skb_adjust_room() refuses frames that arrived as MPLS),
 * which only the last switch of a watched flow pays. */
#ifndef CHIMA_SWITCH_INT_REPORT_H
#define CHIMA_SWITCH_INT_REPORT_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "chima/int.h"
#include "chima/pipeline.h"
#include "chima/switch.h"
#include "counters.h"
#include "deparse.h"
#include "maps.h"

#define CHIMA_INT_REPORT_TTL 64
#define CHIMA_INT_REPORT_IPV4_OFFSET CHIMA_ETH_LEN
#define CHIMA_INT_REPORT_UDP_OFFSET (CHIMA_ETH_LEN + 20)
#define CHIMA_INT_REPORT_HEADER_OFFSET (CHIMA_ETH_LEN + 20 + CHIMA_UDP_LEN)

static __always_inline struct chima_int_report_config* chima_int_report_settings(void) {
    __u32 key = 0;
    struct chima_int_report_config* c = bpf_map_lookup_elem(&chima_int_report, &key);
    return c && c->port && c->port < CHIMA_MAX_PORTS ? c : 0;
}

/* IPv4 header checksum of the 20 bytes at `h` (checksum field zero). */
static __always_inline __u16 chima_ipv4_header_checksum(const __u8* h) {
    __u32 sum = 0;
#pragma unroll
    for (int i = 0; i < 20; i += 2)
        sum += ((__u32)h[i] << 8) | h[i + 1];
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return (__u16)~sum;
}

/* The outer headers of a report about a frame of `inner_len` bytes. */
static __always_inline void chima_int_report_image(__u8* p, const struct chima_int_report_config* c,
                                                   const struct chima_port* egress, __u32 inner_len,
                                                   __u32 switch_id, __u32 seq, __u32 ingress_ts) {
    __builtin_memcpy(p, c->collector_mac, 6);
    __builtin_memcpy(p + 6, egress->own_mac, 6);
    chima_put16(p + 12, ETH_P_IP);

    __u8* ip = p + CHIMA_INT_REPORT_IPV4_OFFSET;
    __u16 udp_len = (__u16)(CHIMA_UDP_LEN + CHIMA_REPORT_HEADER_BYTES + inner_len);
    ip[0] = 0x45;
    ip[1] = 0;
    chima_put16(ip + 2, (__u16)(20 + udp_len));
    chima_put16(ip + 4, 0);
    chima_put16(ip + 6, 0x4000); /* DF */
    ip[8] = CHIMA_INT_REPORT_TTL;
    ip[9] = CHIMA_IPPROTO_UDP;
    ip[10] = 0;
    ip[11] = 0;
    chima_put32(ip + 12, c->source_addr);
    chima_put32(ip + 16, c->collector_addr);
    chima_put16(ip + 10, chima_ipv4_header_checksum(ip));

    __u8* udp = p + CHIMA_INT_REPORT_UDP_OFFSET;
    chima_put16(udp, c->source_udp_port);
    chima_put16(udp + 2, c->collector_udp_port);
    chima_put16(udp + 4, udp_len);
    chima_put16(udp + 6, 0); /* no checksum: allowed over IPv4, and the inner frame is big */

    __u8* r = p + CHIMA_INT_REPORT_HEADER_OFFSET;
    /* version 1, 4 words, inner protocol Ethernet, F: a tracked (watched) flow */
    chima_put32(r, chima_encode_report_word0(CHIMA_REPORT_VERSION, CHIMA_REPORT_HEADER_BYTES / 4,
                                             CHIMA_REPORT_NEXT_PROTO_ETHERNET, 0, 0, 0, 1, 0));
    chima_put32(r + 4, switch_id);
    chima_put32(r + 8, seq);
    chima_put32(r + 12, ingress_ts);
}

/* Sends the report; returns 0 also when no collector is configured or the clone failed (the
 * packet itself is forwarded anyway: a lost report shows as a sequence gap), -1 when the
 * frame could not be restored. */
static __always_inline int chima_int_send_report(struct __sk_buff* skb,
                                                 const struct chima_packet* pkt, __u32 switch_id) {
    struct chima_int_report_config* c = chima_int_report_settings();
    if (!c)
        return 0;
    __u32 port = c->port;
    struct chima_port* egress = bpf_map_lookup_elem(&chima_ports, &port);
    if (!egress || egress->ifindex == 0)
        return 0;
    __u32 key = 0;
    struct chima_int_report_seq* next_seq = bpf_map_lookup_elem(&chima_int_report_seq, &key);
    if (!next_seq)
        return 0;
    bpf_spin_lock(&next_seq->lock);
    __u32 seq = next_seq->next++;
    bpf_spin_unlock(&next_seq->lock);

    struct chima_int_buffers* buffers = chima_int_buffer();
    if (!buffers)
        return 0;
    __u8* outer = buffers->report;
    __u32 inner_len = skb->len;
    chima_int_report_image(outer, c, egress, inner_len, switch_id, seq,
                           (__u32)pkt->std.ingress_global_timestamp);
    if (bpf_skb_change_head(skb, CHIMA_INT_REPORT_OUTER_BYTES, 0))
        return 0;
    int sent = !bpf_skb_store_bytes(skb, 0, outer, CHIMA_INT_REPORT_OUTER_BYTES, 0) &&
               !bpf_clone_redirect(skb, egress->ifindex, 0);
    if (sent)
        chima_count_tx(port, inner_len + CHIMA_INT_REPORT_OUTER_BYTES);

    /* Back to the frame: everything behind the report headers moves to the front. */
    __u32 len = skb->len;
    if (len < CHIMA_INT_REPORT_OUTER_BYTES)
        return -1;
    struct chima_shift s = {
        .skb = skb,
        .dst = 0,
        .src = CHIMA_INT_REPORT_OUTER_BYTES,
        .remaining = len - CHIMA_INT_REPORT_OUTER_BYTES,
    };
    bpf_loop(s.remaining / CHIMA_SHIFT_CHUNK + 1, chima_shift_chunk, &s, 0);
    if (s.err || s.remaining)
        return -1;
    bpf_skb_change_tail(skb, len - CHIMA_INT_REPORT_OUTER_BYTES, 0);
    return 0;
}

#endif /* CHIMA_SWITCH_INT_REPORT_H */
