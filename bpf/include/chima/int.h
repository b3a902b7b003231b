/* In-band Network Telemetry v1.0 (hop-by-hop, over TCP/UDP) and Telemetry Report v1.0:
 * constants, decoded forms and the report parser. Shared by the collector's XDP program
 * (bpf/collector), the C++ reference decoder (common/src/collector) and the fuzzer, so the
 * kernel and user space can never disagree on a field.
 *
 * Parsing reads bytes through pointers with an explicit end and assembles big-endian words
 * with shifts and masks (never C bitfields: their order is compiler-dependent). Every read
 * is preceded by a `p + n > end` check in the form the BPF verifier understands; offsets
 * are bounded scalars, loops have constant bounds.
 *
 * What a report looks like (see /work/shared/reference/protocols.md):
 *   outer Ethernet / IPv4 / UDP (dst port: the collector's, default 54321)
 *   Telemetry Report fixed header (16 bytes; its length field may add optional words)
 *   inner Ethernet / IPv4 / UDP or TCP
 *   INT shim (4) + INT metadata header (8) + metadata stack (hop ML * 4 bytes per hop,
 *   newest hop first; CHIMA uses switch id, ingress ts, egress ts: bitmap 0x8C00, ML 3)
 */
#ifndef CHIMA_INT_H
#define CHIMA_INT_H

#include <linux/types.h>

/* ---- constants ------------------------------------------------------------------------ */

/* IPv4 DSCP that marks a packet carrying INT (ONOS int.p4, exact match). */
#define CHIMA_INT_DSCP 0x17
/* Default UDP destination port of telemetry reports (CHIMA prototype, INTCollector). */
#define CHIMA_INT_REPORT_UDP_PORT 54321

#define CHIMA_INT_SHIM_BYTES 4
#define CHIMA_INT_MD_HEADER_BYTES 8
/* shim + metadata header, in 4-byte words: the smallest valid shim length. */
#define CHIMA_INT_HEADER_WORDS 3
#define CHIMA_INT_SHIM_TYPE_HOP_BY_HOP 1
#define CHIMA_INT_VERSION 1

/* The instructions CHIMA uses: bit 0 switch id, bit 4 ingress ts, bit 5 egress ts. */
#define CHIMA_INT_INSTRUCTIONS 0x8C00
#define CHIMA_INT_HOP_WORDS 3
#define CHIMA_INT_HOP_BYTES (CHIMA_INT_HOP_WORDS * 4)
/* Deepest metadata stack the collector accepts (the switch parser's limit as well). */
#define CHIMA_INT_MAX_HOPS 8
/* A value a hop could not provide is all ones. */
#define CHIMA_INT_VALUE_UNAVAILABLE 0xFFFFFFFFu

/* The function-time extension (paper IV-D2): the hop that marks the end of container
 * function F's execution (SID 0xC0000 | F) reports switch id (F << 14) | switch. Plain
 * switch ids therefore fit in 14 bits, function ids in the 18 bits above. */
#define CHIMA_INT_FUNCTION_SHIFT 14
#define CHIMA_INT_SWITCH_ID_MASK 0x3FFFu
#define CHIMA_INT_FUNCTION_ID_MAX 0x3FFFFu

#define CHIMA_REPORT_HEADER_BYTES 16
#define CHIMA_REPORT_VERSION 1
#define CHIMA_REPORT_NEXT_PROTO_ETHERNET 0

#define CHIMA_ETH_HLEN 14
#define CHIMA_ETH_P_IPV4 0x0800
#define CHIMA_IPV4_MIN_HLEN 20
#define CHIMA_IPPROTO_TCP 6
#define CHIMA_IPPROTO_UDP 17
#define CHIMA_UDP_HLEN 8
#define CHIMA_TCP_MIN_HLEN 20

/* ---- decoded forms (host byte order) -------------------------------------------------- */

struct chima_report_header {
    __u8 version;     /* 4 bits */
    __u8 length;      /* 4 bits, words of the report header incl. optional metadata */
    __u8 next_proto;  /* 3 bits: 0 Ethernet, 1 IPv4, 2 IPv6 */
    __u8 rep_md_bits; /* 6 bits */
    __u8 dropped;     /* D */
    __u8 congested;   /* Q */
    __u8 tracked;     /* F */
    __u8 hw_id;       /* 6 bits */
    __u32 switch_id;
    __u32 seq_no;
    __u32 ingress_ts;
};

struct chima_int_shim {
    __u8 type;
    __u8 length; /* words, including shim + metadata header + stack */
    __u8 dscp;   /* the packet's original DSCP */
};

struct chima_int_md_header {
    __u8 version;
    __u8 rep;
    __u8 copy;
    __u8 exceeded; /* E: a hop found no remaining hop count */
    __u8 mtu_exceeded;
    __u8 hop_ml;
    __u8 remaining_hops;
    __u16 instructions;
};

struct chima_int_hop {
    __u32 switch_id; /* may carry a function id above CHIMA_INT_FUNCTION_SHIFT */
    __u32 ingress_ts;
    __u32 egress_ts;
};

/* A parsed report: only what the collector uses, plus the headers for tests and tools. */
struct chima_report {
    struct chima_report_header header;
    struct chima_int_shim shim;
    struct chima_int_md_header md;
    __u8 inner_protocol; /* CHIMA_IPPROTO_UDP or _TCP */
    __u8 hop_count;      /* 0..CHIMA_INT_MAX_HOPS */
    __u16 int_offset;    /* offset of the shim from the start of the frame */
    struct chima_int_hop hops[CHIMA_INT_MAX_HOPS]; /* hops[0] is the newest */
};

/* Why a frame addressed to the collector was rejected. Stable numbers: they index the
 * malformed counters shared with user space. */
enum chima_report_status {
    CHIMA_REPORT_OK = 0,
    CHIMA_REPORT_NOT_A_REPORT, /* not IPv4/UDP to the collector port: passed, not counted */
    CHIMA_REPORT_TRUNCATED,    /* a header runs past the end of the frame */
    CHIMA_REPORT_REPORT_VERSION,
    CHIMA_REPORT_REPORT_LENGTH, /* report header length < 4 words */
    CHIMA_REPORT_NEXT_PROTO,    /* inner packet is not Ethernet */
    CHIMA_REPORT_INNER_ETHERTYPE,
    CHIMA_REPORT_INNER_IPV4,     /* version != 4 or IHL < 5 */
    CHIMA_REPORT_INNER_PROTOCOL, /* neither UDP nor TCP */
    CHIMA_REPORT_INNER_TCP,      /* TCP data offset < 5 */
    CHIMA_REPORT_INT_TYPE,       /* shim type != hop-by-hop */
    CHIMA_REPORT_INT_VERSION,
    CHIMA_REPORT_INT_HOP_ML,       /* hop ML != 3 */
    CHIMA_REPORT_INT_INSTRUCTIONS, /* bitmap != 0x8C00 */
    CHIMA_REPORT_INT_LENGTH,       /* shim length < 3, not whole hops, or > 8 hops */
    CHIMA_REPORT_STATUS_COUNT
};

/* ---- byte helpers --------------------------------------------------------------------- */

/* Big-endian loads from a byte pointer with no alignment guarantee. BPF: one plain load
 * and a byte swap (the verifier allows unaligned packet loads where the CPU does, and
 * clang would split an align-1 load into bytes); elsewhere memcpy, which compilers turn
 * into the same single load. */
#if defined(__bpf__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
static inline __u16 chima_load_be16(const __u8* p) {
    return __builtin_bswap16(*(const __u16*)p);
}
static inline __u32 chima_load_be32(const __u8* p) {
    return __builtin_bswap32(*(const __u32*)p);
}
#else
static inline __u16 chima_load_be16(const __u8* p) {
    __u16 v;
    __builtin_memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap16(v);
#endif
    return v;
}
static inline __u32 chima_load_be32(const __u8* p) {
    __u32 v;
    __builtin_memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    return v;
}
#endif

/* ---- header decoders: p must have the header's bytes available (caller checks) --------- */

static inline void chima_decode_report_header(const __u8* p, struct chima_report_header* h) {
    __u32 w0 = chima_load_be32(p);
    h->version = (__u8)(w0 >> 28);
    h->length = (__u8)((w0 >> 24) & 0xF);
    h->next_proto = (__u8)((w0 >> 21) & 0x7);
    h->rep_md_bits = (__u8)((w0 >> 15) & 0x3F);
    /* bits 14..9 reserved, then D Q F, then hw id */
    h->dropped = (__u8)((w0 >> 8) & 0x1);
    h->congested = (__u8)((w0 >> 7) & 0x1);
    h->tracked = (__u8)((w0 >> 6) & 0x1);
    h->hw_id = (__u8)(w0 & 0x3F);
    h->switch_id = chima_load_be32(p + 4);
    h->seq_no = chima_load_be32(p + 8);
    h->ingress_ts = chima_load_be32(p + 12);
}

static inline void chima_decode_int_shim(const __u8* p, struct chima_int_shim* s) {
    s->type = p[0];
    s->length = p[2];
    s->dscp = (__u8)(p[3] >> 2);
}

static inline void chima_decode_int_md_header(const __u8* p, struct chima_int_md_header* m) {
    __u32 w0 = chima_load_be32(p);
    m->version = (__u8)(w0 >> 28);
    m->rep = (__u8)((w0 >> 26) & 0x3);
    m->copy = (__u8)((w0 >> 25) & 0x1);
    m->exceeded = (__u8)((w0 >> 24) & 0x1);
    m->mtu_exceeded = (__u8)((w0 >> 23) & 0x1);
    /* 10 reserved bits */
    m->hop_ml = (__u8)((w0 >> 8) & 0x1F);
    m->remaining_hops = (__u8)(w0 & 0xFF);
    m->instructions = chima_load_be16(p + 4);
}

static inline void chima_decode_int_hop(const __u8* p, struct chima_int_hop* h) {
    h->switch_id = chima_load_be32(p);
    h->ingress_ts = chima_load_be32(p + 4);
    h->egress_ts = chima_load_be32(p + 8);
}

/* The first word of a report header, v1.0 layout from the MSB: ver 4, len 4, nproto 3,
 * rep_md_bits 6, reserved 6, D, Q, F, hw_id 6. For senders and tests. */
static inline __u32 chima_encode_report_word0(__u8 version, __u8 length, __u8 next_proto,
                                              __u8 rep_md_bits, __u8 d, __u8 q, __u8 f,
                                              __u8 hw_id) {
    return ((__u32)(version & 0xF) << 28) | ((__u32)(length & 0xF) << 24) |
           ((__u32)(next_proto & 0x7) << 21) | ((__u32)(rep_md_bits & 0x3F) << 15) |
           ((__u32)(d & 1) << 8) | ((__u32)(q & 1) << 7) | ((__u32)(f & 1) << 6) |
           (__u32)(hw_id & 0x3F);
}

/* ---- the report parser ---------------------------------------------------------------- */

/* Parses a whole frame [data, end) as a telemetry report sent to `udp_port`.
 * Returns CHIMA_REPORT_OK and fills `out`, or the first problem found. Offsets are kept in
 * a bounded scalar so the verifier can follow every access. */
static inline enum chima_report_status chima_parse_report(const __u8* data, const __u8* end,
                                                          __u16 udp_port,
                                                          struct chima_report* out) {
    __u32 off = 0;
    const __u8* p;

    /* outer Ethernet */
    if (data + CHIMA_ETH_HLEN > end)
        return CHIMA_REPORT_NOT_A_REPORT;
    if (chima_load_be16(data + 12) != CHIMA_ETH_P_IPV4)
        return CHIMA_REPORT_NOT_A_REPORT;
    off = CHIMA_ETH_HLEN;

    /* outer IPv4 */
    p = data + off;
    if (p + CHIMA_IPV4_MIN_HLEN > end)
        return CHIMA_REPORT_NOT_A_REPORT;
    __u32 ihl = (__u32)(p[0] & 0xF) * 4;
    /* with IHL < 5 the UDP header cannot be found: not recognisable as a report */
    if ((p[0] >> 4) != 4 || ihl < CHIMA_IPV4_MIN_HLEN || p[9] != CHIMA_IPPROTO_UDP)
        return CHIMA_REPORT_NOT_A_REPORT;
    /* a later fragment has no UDP header: it cannot be recognised as a report */
    if (chima_load_be16(p + 6) & 0x1FFF)
        return CHIMA_REPORT_NOT_A_REPORT;
    off += ihl; /* off <= 14 + 60 */

    /* outer UDP: the port decides whether this is a report at all */
    p = data + off;
    if (p + CHIMA_UDP_HLEN > end)
        return CHIMA_REPORT_NOT_A_REPORT;
    if (chima_load_be16(p + 2) != udp_port)
        return CHIMA_REPORT_NOT_A_REPORT;
    off += CHIMA_UDP_HLEN;

    /* Telemetry Report fixed header */
    p = data + off;
    if (p + CHIMA_REPORT_HEADER_BYTES > end)
        return CHIMA_REPORT_TRUNCATED;
    chima_decode_report_header(p, &out->header);
    if (out->header.version != CHIMA_REPORT_VERSION)
        return CHIMA_REPORT_REPORT_VERSION;
    if (out->header.length < CHIMA_REPORT_HEADER_BYTES / 4)
        return CHIMA_REPORT_REPORT_LENGTH;
    if (out->header.next_proto != CHIMA_REPORT_NEXT_PROTO_ETHERNET)
        return CHIMA_REPORT_NEXT_PROTO;
    off += (__u32)out->header.length * 4; /* <= 60 */

    /* inner Ethernet */
    p = data + off;
    if (p + CHIMA_ETH_HLEN > end)
        return CHIMA_REPORT_TRUNCATED;
    if (chima_load_be16(p + 12) != CHIMA_ETH_P_IPV4)
        return CHIMA_REPORT_INNER_ETHERTYPE;
    off += CHIMA_ETH_HLEN;

    /* inner IPv4 */
    p = data + off;
    if (p + CHIMA_IPV4_MIN_HLEN > end)
        return CHIMA_REPORT_TRUNCATED;
    __u32 inner_ihl = (__u32)(p[0] & 0xF) * 4;
    if ((p[0] >> 4) != 4 || inner_ihl < CHIMA_IPV4_MIN_HLEN)
        return CHIMA_REPORT_INNER_IPV4;
    __u8 proto = p[9];
    off += inner_ihl;

    /* inner UDP or TCP */
    p = data + off;
    if (proto == CHIMA_IPPROTO_UDP) {
        if (p + CHIMA_UDP_HLEN > end)
            return CHIMA_REPORT_TRUNCATED;
        off += CHIMA_UDP_HLEN;
    } else if (proto == CHIMA_IPPROTO_TCP) {
        if (p + CHIMA_TCP_MIN_HLEN > end)
            return CHIMA_REPORT_TRUNCATED;
        __u32 doff = (__u32)(p[12] >> 4) * 4;
        if (doff < CHIMA_TCP_MIN_HLEN)
            return CHIMA_REPORT_INNER_TCP;
        off += doff;
    } else {
        return CHIMA_REPORT_INNER_PROTOCOL;
    }
    out->inner_protocol = proto;

    /* INT shim and metadata header */
    off &= 0x3FF; /* a no-op (off < 300); tells the verifier the bound */
    p = data + off;
    if (p + CHIMA_INT_SHIM_BYTES + CHIMA_INT_MD_HEADER_BYTES > end)
        return CHIMA_REPORT_TRUNCATED;
    out->int_offset = (__u16)off;
    chima_decode_int_shim(p, &out->shim);
    chima_decode_int_md_header(p + CHIMA_INT_SHIM_BYTES, &out->md);
    if (out->shim.type != CHIMA_INT_SHIM_TYPE_HOP_BY_HOP)
        return CHIMA_REPORT_INT_TYPE;
    if (out->md.version != CHIMA_INT_VERSION)
        return CHIMA_REPORT_INT_VERSION;
    if (out->md.hop_ml != CHIMA_INT_HOP_WORDS)
        return CHIMA_REPORT_INT_HOP_ML;
    if (out->md.instructions != CHIMA_INT_INSTRUCTIONS)
        return CHIMA_REPORT_INT_INSTRUCTIONS;
    if (out->shim.length < CHIMA_INT_HEADER_WORDS)
        return CHIMA_REPORT_INT_LENGTH;
    __u32 stack_words = (__u32)out->shim.length - CHIMA_INT_HEADER_WORDS;
    if (stack_words % CHIMA_INT_HOP_WORDS != 0)
        return CHIMA_REPORT_INT_LENGTH;
    __u32 hop_count = stack_words / CHIMA_INT_HOP_WORDS;
    if (hop_count > CHIMA_INT_MAX_HOPS)
        return CHIMA_REPORT_INT_LENGTH;
    off += CHIMA_INT_SHIM_BYTES + CHIMA_INT_MD_HEADER_BYTES;

    /* metadata stack, newest hop first */
    out->hop_count = (__u8)hop_count;
    for (__u32 i = 0; i < CHIMA_INT_MAX_HOPS; i++) {
        if (i >= hop_count)
            break;
        p = data + off;
        if (p + CHIMA_INT_HOP_BYTES > end)
            return CHIMA_REPORT_TRUNCATED;
        chima_decode_int_hop(p, &out->hops[i]);
        off += CHIMA_INT_HOP_BYTES;
    }
    return CHIMA_REPORT_OK;
}

#endif /* CHIMA_INT_H */
