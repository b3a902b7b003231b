/* INT v1.0 hop-by-hop over UDP/TCP in the switch pipeline (docs/architecture.md, "Telemetry"):
 * source and transit. Layouts and constants: chima/int.h.
 *
 *   ingress   chima_int_classify(): a packet with DSCP 0x17 and a valid shim is INT transit;
 *             one without whose flow is on the watchlist becomes an INT source here.
 *   finish    chima_int_prepare() before deparse: sets DSCP and grows the IPv4 / UDP lengths
 *             in pkt->hdr, so the deparser writes them and fixes their checksum share;
 *             chima_int_commit() after deparse: inserts the INT bytes behind the L4 header
 *             (source: shim + md header + this hop; transit: this hop at the top of the
 *             stack, newest first) and adds their sum to the L4 checksum.
 *
 * Non-watched packets pay one DSCP compare and, only while the watchlist is not empty, one
 * hash lookup. */
#ifndef CHIMA_SWITCH_INT_STACK_H
#define CHIMA_SWITCH_INT_STACK_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "chima/int.h"
#include "chima/pipeline.h"
#include "chima/switch.h"
#include "counters.h"
#include "deparse.h"
#include "int_report.h"
#include "maps.h"

/* pkt->state.int_flags */
#define CHIMA_INT_FLAG_TRANSIT 0x1  /* arrived with a valid INT header */
#define CHIMA_INT_FLAG_SOURCE 0x2   /* watched flow without INT: this switch inserts it */
#define CHIMA_INT_FLAG_FUNCTION 0x4 /* an INT SID 0xC0001.. was evaluated */
#define CHIMA_INT_FLAG_TO_HOST 0x8  /* SID 0xC0000 was evaluated: no sink here */

/* Bytes a source inserts: shim, metadata header and its own hop. */
#define CHIMA_INT_SOURCE_BYTES \
    (CHIMA_INT_SHIM_BYTES + CHIMA_INT_MD_HEADER_BYTES + CHIMA_INT_HOP_BYTES)
#define CHIMA_INT_HEADERS_BYTES (CHIMA_INT_SHIM_BYTES + CHIMA_INT_MD_HEADER_BYTES)

/* What chima_int_prepare() decided, for chima_int_commit(). */
struct chima_int_plan {
    __u32 action;                          /* CHIMA_INT_ACTION_* */
    __u32 int_bytes;                       /* STRIP, REPORT: shim length in bytes as received */
    __u32 push;                            /* REPORT: the sink pushes its own hop first */
    __u8 headers[CHIMA_INT_HEADERS_BYTES]; /* transit: shim + md header as received */
};
#define CHIMA_INT_ACTION_NONE 0
#define CHIMA_INT_ACTION_SOURCE 1
#define CHIMA_INT_ACTION_PUSH 2     /* transit with hops left */
#define CHIMA_INT_ACTION_EXCEEDED 3 /* transit without hops left: set E, insert nothing */
#define CHIMA_INT_ACTION_STRIP 4    /* sink: remove the INT bytes, restore the original */
#define CHIMA_INT_ACTION_REPORT 5   /* sink with a collector: push, report, then strip */
/* Most INT bytes a sink removes: shim + md header + CHIMA_INT_MAX_HOPS hops (108). */
#define CHIMA_INT_MAX_BYTES (CHIMA_INT_HEADERS_BYTES + CHIMA_INT_MAX_HOPS * CHIMA_INT_HOP_BYTES)

static __always_inline struct chima_int_config* chima_int_settings(void) {
    __u32 key = 0;
    return bpf_map_lookup_elem(&chima_int_config, &key);
}

/* Length of the L4 header the INT header follows (0: neither UDP nor TCP). */
static __always_inline __u32 chima_int_l4_header_len(const struct chima_headers* h) {
    if (h->udp_valid)
        return CHIMA_UDP_LEN;
    if (h->tcp_valid)
        return (__u32)(h->tcp.data_offset & 0xf) * 4;
    return 0;
}

/* Ingress: sets pkt->state.int_flags (already zero). */
static __always_inline void chima_int_classify(struct __sk_buff* skb, struct chima_packet* pkt) {
    if (!pkt->hdr.ipv4_valid)
        return;
    __u32 l4_len = chima_int_l4_header_len(&pkt->hdr);
    if (l4_len == 0)
        return;
    if (pkt->hdr.ipv4.dscp == CHIMA_INT_DSCP) {
        __u8 h[CHIMA_INT_HEADERS_BYTES];
        if (bpf_skb_load_bytes(skb, pkt->state.l4_offset + l4_len, h, sizeof(h)))
            return;
        struct chima_int_shim shim;
        struct chima_int_md_header md;
        chima_decode_int_shim(h, &shim);
        chima_decode_int_md_header(h + CHIMA_INT_SHIM_BYTES, &md);
        /* Anything else marked 0x17 is not ours to touch: forwarded as it is. */
        if (shim.type == CHIMA_INT_SHIM_TYPE_HOP_BY_HOP && md.version == CHIMA_INT_VERSION &&
            md.hop_ml == CHIMA_INT_HOP_WORDS && md.instructions == CHIMA_INT_INSTRUCTIONS &&
            shim.length >= CHIMA_INT_HEADER_WORDS)
            pkt->state.int_flags = CHIMA_INT_FLAG_TRANSIT;
        return;
    }
    struct chima_int_config* config = chima_int_settings();
    if (!config || !config->watching)
        return;
    struct chima_int_flow_key key = {
        .src_addr = pkt->hdr.ipv4.src_addr,
        .dst_addr = pkt->hdr.ipv4.dst_addr,
    };
    if (bpf_map_lookup_elem(&chima_int_watchlist, &key))
        pkt->state.int_flags = CHIMA_INT_FLAG_SOURCE;
}

/* The INT hook of segment evaluation: remembers which INT SIDs the packet carried. */
static __always_inline void chima_int_mark(struct chima_packet* pkt, __u32 label) {
    pkt->state.int_flags |=
        chima_sid_arg(label) == 0 ? CHIMA_INT_FLAG_TO_HOST : CHIMA_INT_FLAG_FUNCTION;
}

/* The function id of the last evaluated SID 0xC0001.. (0 if none). */
static __always_inline __u32 chima_int_function_id(const struct chima_packet* pkt) {
    __u32 function = 0;
    if (!(pkt->state.int_flags & CHIMA_INT_FLAG_FUNCTION))
        return 0;
#pragma unroll
    for (int i = 0; i < CHIMA_MAX_LABELS; i++) {
        if (i >= pkt->state.label_index)
            break;
        __u32 label = pkt->state.labels[i] >> 12;
        if (chima_sid_block(label) == CHIMA_SID_BLOCK_INT && chima_sid_arg(label) != 0)
            function = chima_sid_arg(label);
    }
    return function;
}

/* This hop's metadata: switch id (with the function id above CHIMA_INT_FUNCTION_SHIFT),
 * ingress and egress timestamps (low 32 bits of nanoseconds). */
static __always_inline void chima_int_hop_image(__u8* p, const struct chima_packet* pkt,
                                                const struct chima_int_config* config) {
    __u32 id = config->switch_id & CHIMA_INT_SWITCH_ID_MASK;
    __u32 function = chima_int_function_id(pkt) & CHIMA_INT_FUNCTION_ID_MAX;
    id |= function << CHIMA_INT_FUNCTION_SHIFT;
    chima_put32(p, id);
    chima_put32(p + 4, (__u32)pkt->std.ingress_global_timestamp);
    chima_put32(p + 8, (__u32)bpf_ktime_get_ns());
}

/* Before deparse: decides the action and changes the header fields it implies. */
static __always_inline int chima_int_is_sink(__u32 port) {
    __u32* sink = bpf_map_lookup_elem(&chima_int_sink_ports, &port);
    return sink && *sink;
}

static __always_inline int chima_int_prepare(struct __sk_buff* skb, struct chima_packet* pkt,
                                             struct chima_int_plan* plan, __u32 port) {
    plan->action = CHIMA_INT_ACTION_NONE;
    __u8 flags = pkt->state.int_flags;
    __u32 grow = 0;
    if (flags == 0)
        return 0;
    /* An endpoint behind the egress port: the INT data ends here, unless SID 0xC0000
     * hands it to the attached host. A source whose packet goes straight to an endpoint
     * has nobody to measure: it adds nothing. */
    int sink = !(flags & CHIMA_INT_FLAG_TO_HOST) && chima_int_is_sink(port);
    if (sink && (flags & CHIMA_INT_FLAG_SOURCE))
        return 0;
    if (sink && (flags & CHIMA_INT_FLAG_TRANSIT)) {
        __u32 at = pkt->state.l4_offset + chima_int_l4_header_len(&pkt->hdr);
        if (bpf_skb_load_bytes(skb, at, plan->headers, CHIMA_INT_HEADERS_BYTES))
            return -1;
        __u32 bytes = (__u32)plan->headers[2] * 4;
        if (bytes < CHIMA_INT_HEADERS_BYTES || bytes > CHIMA_INT_MAX_BYTES ||
            bytes > pkt->hdr.ipv4.len)
            return 0; /* not a stack we wrote: leave it */
        plan->int_bytes = bytes;
        if (chima_int_report_settings()) {
            /* The report carries the sink's hop too (when the hop count allows it): the
             * packet grows like a transit one now and shrinks after the report is sent. */
            plan->action = CHIMA_INT_ACTION_REPORT;
            plan->push = plan->headers[CHIMA_INT_SHIM_BYTES + 3] > 0 &&
                         bytes + CHIMA_INT_HOP_BYTES <= CHIMA_INT_MAX_BYTES;
            grow = plan->push ? CHIMA_INT_HOP_BYTES : 0;
            pkt->hdr.ipv4.len += grow;
            if (pkt->hdr.udp_valid)
                pkt->hdr.udp.len += grow;
            return 0;
        }
        plan->action = CHIMA_INT_ACTION_STRIP;
        pkt->hdr.ipv4.dscp = plan->headers[3] >> 2;
        pkt->hdr.ipv4.len -= bytes;
        if (pkt->hdr.udp_valid)
            pkt->hdr.udp.len -= bytes;
        return 0;
    }
    if (flags & CHIMA_INT_FLAG_SOURCE) {
        plan->action = CHIMA_INT_ACTION_SOURCE;
        plan->headers[3] = (__u8)(pkt->hdr.ipv4.dscp << 2); /* original DSCP, for the shim */
        pkt->hdr.ipv4.dscp = CHIMA_INT_DSCP;
        grow = CHIMA_INT_SOURCE_BYTES;
    } else if (flags & CHIMA_INT_FLAG_TRANSIT) {
        __u32 at = pkt->state.l4_offset + chima_int_l4_header_len(&pkt->hdr);
        if (bpf_skb_load_bytes(skb, at, plan->headers, CHIMA_INT_HEADERS_BYTES))
            return -1;
        __u8 remaining = plan->headers[CHIMA_INT_SHIM_BYTES + 3];
        if (remaining == 0) {
            plan->action = CHIMA_INT_ACTION_EXCEEDED;
            return 0;
        }
        if (plan->headers[2] > 255 - CHIMA_INT_HOP_WORDS)
            return 0; /* shim length would overflow: leave the packet alone */
        plan->action = CHIMA_INT_ACTION_PUSH;
        grow = CHIMA_INT_HOP_BYTES;
    } else {
        return 0;
    }
    pkt->hdr.ipv4.len += grow;
    if (pkt->hdr.udp_valid)
        pkt->hdr.udp.len += grow;
    return 0;
}

/* Inserting bytes in the middle of an skb (the mirror of chima_pop_bytes: the tail grows
 * and the bytes behind `at` move up in chunks, last chunk first). MPLS frames rule out
 * bpf_skb_adjust_room(). */
struct chima_int_gap {
    struct __sk_buff* skb;
    __u32 at;
    __u32 gap;
    __u32 remaining; /* bytes behind `at` still to move */
    int err;
};

static long chima_int_gap_chunk(__u32 index, void* arg) {
    struct chima_int_gap* g = arg;
    __u8 buf[CHIMA_SHIFT_CHUNK];
    (void)index;
    __u32 n = g->remaining;
    if (n == 0)
        return 1;
    if (n > CHIMA_SHIFT_CHUNK)
        n = CHIMA_SHIFT_CHUNK;
    n &= 0xff;
    if (n == 0 || n > CHIMA_SHIFT_CHUNK)
        return 1;
    __u32 src = g->at + g->remaining - n;
    if (bpf_skb_load_bytes(g->skb, src, buf, n) ||
        bpf_skb_store_bytes(g->skb, src + g->gap, buf, n, 0)) {
        g->err = 1;
        return 1;
    }
    g->remaining -= n;
    return 0;
}

static __always_inline int chima_int_open_gap(struct __sk_buff* skb, __u32 at, __u32 gap) {
    __u32 len = skb->len;
    if (at > len)
        return -1;
    if (bpf_skb_change_tail(skb, len + gap, 0))
        return -1;
    struct chima_int_gap g = {.skb = skb, .at = at, .gap = gap, .remaining = len - at};
    bpf_loop(g.remaining / CHIMA_SHIFT_CHUNK + 1, chima_int_gap_chunk, &g, 0);
    return g.err || g.remaining ? -1 : 0;
}

/* Adds the checksum difference `diff` to the UDP/TCP checksum at `l4`. */
static __always_inline int chima_int_l4_csum(struct __sk_buff* skb, const struct chima_packet* pkt,
                                             __u32 l4, __s64 diff) {
    if (pkt->hdr.udp_valid)
        return bpf_l4_csum_replace(skb, l4 + 6, 0, diff, BPF_F_MARK_MANGLED_0) ? -1 : 0;
    return bpf_l4_csum_replace(skb, l4 + 16, 0, diff, 0) ? -1 : 0;
}

/* Removes `bytes` INT bytes at `at` and takes their sum out of the L4 checksum. */
static __always_inline int chima_int_strip(struct __sk_buff* skb, const struct chima_packet* pkt,
                                           __u32 l4, __u32 at, __u32 bytes) {
    struct chima_int_buffers* buffers = chima_int_buffer();
    if (!buffers)
        return -1;
    __u8* buf = buffers->stack;
    bytes &= 0x7c;
    if (bytes < CHIMA_INT_HEADERS_BYTES || bytes > CHIMA_INT_MAX_BYTES)
        return -1;
    if (bpf_skb_load_bytes(skb, at, buf, bytes))
        return -1;
    __s64 diff = bpf_csum_diff((__be32*)buf, bytes, 0, 0, 0);
    if (chima_int_l4_csum(skb, pkt, l4, diff))
        return -1;
    __u32 len = skb->len;
    if (len < at + bytes)
        return -1;
    struct chima_shift s = {
        .skb = skb, .dst = at, .src = at + bytes, .remaining = len - at - bytes};
    bpf_loop(s.remaining / CHIMA_SHIFT_CHUNK + 1, chima_shift_chunk, &s, 0);
    if (s.err || s.remaining)
        return -1;
    /* As in chima_pop_bytes: when the kernel refuses to trim below its idea of the header
     * span, the bytes past the IPv4 total length stay as trailing padding. */
    bpf_skb_change_tail(skb, len - bytes, 0);
    return 0;
}

/* Transit (also a reporting sink's own hop): rewrites shim + md header as received in
 * `headers` and pushes this hop on top of the stack, or only sets E when `exceeded`. */
static __always_inline int chima_int_push(struct __sk_buff* skb, const struct chima_packet* pkt,
                                          const __u8* headers, int exceeded, __u32 l4, __u32 at,
                                          const struct chima_int_config* config) {
    __u8 next[CHIMA_INT_HEADERS_BYTES + CHIMA_INT_HOP_BYTES];
    __builtin_memcpy(next, headers, CHIMA_INT_HEADERS_BYTES);
    __u32 size = CHIMA_INT_HEADERS_BYTES;
    if (exceeded) {
        next[CHIMA_INT_SHIM_BYTES] |= 0x01; /* E bit: lowest bit of the first md byte */
    } else {
        next[2] += CHIMA_INT_HOP_WORDS;
        next[CHIMA_INT_SHIM_BYTES + 3] -= 1;
        chima_int_hop_image(next + CHIMA_INT_HEADERS_BYTES, pkt, config);
        size = sizeof(next);
        if (chima_int_open_gap(skb, at + CHIMA_INT_HEADERS_BYTES, CHIMA_INT_HOP_BYTES))
            return -1;
    }
    __s64 diff;
    if (size == CHIMA_INT_HEADERS_BYTES) {
        if (bpf_skb_store_bytes(skb, at, next, CHIMA_INT_HEADERS_BYTES, 0))
            return -1;
        diff = bpf_csum_diff((__be32*)headers, CHIMA_INT_HEADERS_BYTES, (__be32*)next,
                             CHIMA_INT_HEADERS_BYTES, 0);
    } else {
        if (bpf_skb_store_bytes(skb, at, next, sizeof(next), 0))
            return -1;
        diff = bpf_csum_diff((__be32*)headers, CHIMA_INT_HEADERS_BYTES, (__be32*)next, sizeof(next),
                             0);
    }
    return chima_int_l4_csum(skb, pkt, l4, diff);
}

/* chima_finish() returns this instead of a verdict when a reporting sink must finish the
 * packet: chima_int_sink() runs as the pipeline's next call, not inside chima_finish(), so
 * the two stack frames are never on the 512-byte BPF stack at once. */
#define CHIMA_FINISH_SINK 0x10000

static __always_inline int chima_int_defer_sink(const struct chima_int_plan* plan, __u32 pop,
                                                __u32 port, const struct chima_port* egress) {
    struct chima_int_buffers* b = chima_int_buffer();
    if (!b)
        return -1;
    b->sink_pop = pop;
    b->sink_int_bytes = plan->int_bytes;
    b->sink_push = plan->push;
    b->sink_port = port;
    b->sink_ifindex = egress->ifindex;
    return 0;
}

/* A sink with a collector, after deparse: pushes its hop (when the hop count allows), sends
 * the report, then restores the original packet (DSCP from the shim, lengths, checksums),
 * strips the INT bytes and redirects it out of its port. */
__attribute__((noinline)) int chima_int_sink(struct __sk_buff* skb) {
    __u32 key = 0;
    struct chima_packet* pkt = bpf_map_lookup_elem(&chima_scratch, &key);
    struct chima_int_config* config = chima_int_settings();
    struct chima_int_buffers* saved = chima_int_buffer();
    if (!pkt || !config || !saved)
        return chima_drop(CHIMA_DROP_INTERNAL);
    __u32 port = saved->sink_port;
    __u32 shift = 4 * (saved->sink_pop & 0xf);
    __u32 bytes = saved->sink_int_bytes;
    __u32 push = saved->sink_push;
    __u32 l3 = pkt->state.l3_offset - shift;
    __u32 l4 = pkt->state.l4_offset - shift;
    __u32 at = l4 + chima_int_l4_header_len(&pkt->hdr);
    __u8 headers[CHIMA_INT_HEADERS_BYTES];
    if (bpf_skb_load_bytes(skb, at, headers, sizeof(headers)))
        return chima_drop(CHIMA_DROP_INTERNAL);
    if (push) {
        if (chima_int_push(skb, pkt, headers, 0, l4, at, config))
            return chima_drop(CHIMA_DROP_INTERNAL);
        bytes += CHIMA_INT_HOP_BYTES;
    }
    if (chima_int_send_report(skb, pkt, config->switch_id))
        return chima_drop(CHIMA_DROP_INTERNAL);

    /* The headers on the wire become the reference the deparser diffs against. */
    pkt->state.orig = pkt->hdr;
    __u8 csum[2];
    if (bpf_skb_load_bytes(skb, l3 + 10, csum, 2))
        return chima_drop(CHIMA_DROP_INTERNAL);
    pkt->state.orig.ipv4.hdr_checksum = ((__u16)csum[0] << 8) | csum[1];
    __u32 l4_csum = pkt->hdr.udp_valid ? l4 + 6 : l4 + 16;
    if (bpf_skb_load_bytes(skb, l4_csum, csum, 2))
        return chima_drop(CHIMA_DROP_INTERNAL);
    if (pkt->hdr.udp_valid)
        pkt->state.orig.udp.checksum = ((__u16)csum[0] << 8) | csum[1];
    else
        pkt->state.orig.tcp.checksum = ((__u16)csum[0] << 8) | csum[1];
    pkt->hdr.ipv4.dscp = headers[3] >> 2;
    pkt->hdr.ipv4.len -= bytes;
    if (pkt->hdr.udp_valid)
        pkt->hdr.udp.len -= bytes;
    if (chima_deparse_l3l4(skb, pkt, l3, l4) || chima_int_strip(skb, pkt, l4, at, bytes))
        return chima_drop(CHIMA_DROP_INTERNAL);
    pkt->std.egress_port = port;
    chima_count_tx(port, skb->len);
    /* Transmitted, never delivered into the peer: bpf_skb_change_head() of the report left
     * the skb's MAC header length at the report's size, which only a transmit (the peer's
     * eth_type_trans) sets right again. */
    return bpf_redirect(saved->sink_ifindex, 0);
}

/* After deparse (`pop` labels removed): writes the INT bytes. */
static __always_inline int chima_int_commit(struct __sk_buff* skb, struct chima_packet* pkt,
                                            struct chima_int_plan* plan, __u32 pop) {
    if (plan->action == CHIMA_INT_ACTION_NONE)
        return 0;
    struct chima_int_config* config = chima_int_settings();
    if (!config)
        return -1;
    __u32 l4 = pkt->state.l4_offset - 4 * (pop & 0xf);
    __u32 at = l4 + chima_int_l4_header_len(&pkt->hdr);

    if (plan->action == CHIMA_INT_ACTION_STRIP)
        return chima_int_strip(skb, pkt, l4, at, plan->int_bytes);

    if (plan->action == CHIMA_INT_ACTION_SOURCE) {
        __u8 bytes[CHIMA_INT_SOURCE_BYTES];
        __u32 hops = config->initial_hops ? config->initial_hops : CHIMA_INT_DEFAULT_HOPS;
        if (hops > 255)
            hops = 255;
        /* shim: type, reserved, length (words), original DSCP << 2 */
        bytes[0] = CHIMA_INT_SHIM_TYPE_HOP_BY_HOP;
        bytes[1] = 0;
        bytes[2] = CHIMA_INT_HEADER_WORDS + CHIMA_INT_HOP_WORDS;
        bytes[3] = plan->headers[3];
        /* md header: ver 1, hop ML 3, remaining hops (this hop's already taken), bitmap */
        chima_put32(bytes + 4, ((__u32)CHIMA_INT_VERSION << 28) |
                                   ((__u32)CHIMA_INT_HOP_WORDS << 8) | ((hops - 1) & 0xff));
        chima_put16(bytes + 8, CHIMA_INT_INSTRUCTIONS);
        chima_put16(bytes + 10, 0);
        chima_int_hop_image(bytes + CHIMA_INT_HEADERS_BYTES, pkt, config);
        if (chima_int_open_gap(skb, at, CHIMA_INT_SOURCE_BYTES))
            return -1;
        if (bpf_skb_store_bytes(skb, at, bytes, sizeof(bytes), 0))
            return -1;
        __s64 diff = bpf_csum_diff(0, 0, (__be32*)bytes, sizeof(bytes), 0);
        return chima_int_l4_csum(skb, pkt, l4, diff);
    }

    return chima_int_push(skb, pkt, plan->headers, plan->action == CHIMA_INT_ACTION_EXCEEDED, l4,
                          at, config);
}

#endif /* CHIMA_SWITCH_INT_STACK_H */
