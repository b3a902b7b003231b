/* The switch pipeline's function-slot ABI, shared by bpf/switch (the pipeline), the C code
 * chima-compile generates for P4 functions, and user space (loader, tests).
 *
 * How a packet moves through a switch:
 *   1. The pipeline program (TC ingress) parses the packet once into `struct chima_packet`
 *      (header fields in HOST byte order, one valid flag per header), kept in the per-CPU
 *      scratch map `chima_scratch` (key 0), and evaluates segments from the MPLS stack.
 *   2. A function SID 0x40000|slot tail-calls `chima_slots[slot]`: the function program.
 *      It reads and writes only `struct chima_packet` (never raw packet memory), then
 *      tail-calls `chima_resume[0]`, the pipeline's resume program.
 *   3. The resume program continues segment evaluation; at the end it deparses what changed
 *      back into the packet, fixes IPv4 and L4 checksums, and redirects to the egress port.
 * Installing, moving or removing a function touches one slot of `chima_slots` and that
 * function's own maps, never the pipeline program or the forwarding maps.
 *
 * Field names follow p4/include/headers.p4 (ONOS basic.p4 naming): a P4 field
 * `hdr.ipv4.ttl` is `pkt->hdr.ipv4.ttl` here. A field of width W lives in the smallest
 * unsigned C type that holds W bits; bits above W are always zero.
 */
#ifndef CHIMA_PIPELINE_H
#define CHIMA_PIPELINE_H

#include <linux/types.h>

#include "chima/sid.h"

/* Function slots per switch (size of the program array). Slot 0 is never used. */
#define CHIMA_MAX_SLOTS 64

struct chima_ethernet_h {
    __u64 dst_addr;   /* bit<48> */
    __u64 src_addr;   /* bit<48> */
    __u16 ether_type; /* bit<16> */
};

struct chima_ipv4_h {
    __u8 version;         /* bit<4> */
    __u8 ihl;             /* bit<4> */
    __u8 dscp;            /* bit<6> */
    __u8 ecn;             /* bit<2> */
    __u16 len;            /* bit<16> total length */
    __u16 identification; /* bit<16> */
    __u8 flags;           /* bit<3> */
    __u16 frag_offset;    /* bit<13> */
    __u8 ttl;             /* bit<8> */
    __u8 protocol;        /* bit<8> */
    __u16 hdr_checksum;   /* bit<16>; the pipeline recomputes it on deparse */
    __u32 src_addr;       /* bit<32> */
    __u32 dst_addr;       /* bit<32> */
};

struct chima_tcp_h {
    __u16 src_port;   /* bit<16> */
    __u16 dst_port;   /* bit<16> */
    __u32 seq_no;     /* bit<32> */
    __u32 ack_no;     /* bit<32> */
    __u8 data_offset; /* bit<4> */
    __u8 res;         /* bit<3> */
    __u8 ecn;         /* bit<3> */
    __u8 ctrl;        /* bit<6> */
    __u16 window;     /* bit<16> */
    __u16 checksum;   /* bit<16>; the pipeline fixes it on deparse */
    __u16 urgent_ptr; /* bit<16> */
};

struct chima_udp_h {
    __u16 src_port; /* bit<16> */
    __u16 dst_port; /* bit<16> */
    __u16 len;      /* bit<16> */
    __u16 checksum; /* bit<16>; the pipeline fixes it on deparse (0 stays 0) */
};

/* headers_t of p4/include/headers.p4 */
struct chima_headers {
    __u8 ethernet_valid;
    __u8 ipv4_valid;
    __u8 tcp_valid;
    __u8 udp_valid;
    struct chima_ethernet_h ethernet;
    struct chima_ipv4_h ipv4;
    struct chima_tcp_h tcp;
    struct chima_udp_h udp;
};

/* local_metadata_t of p4/include/headers.p4: what a function may read and write besides
 * headers. */
struct chima_local_metadata {
    __u16 l4_src_port; /* bit<16> copy of the TCP/UDP source port (0 if none) */
    __u16 l4_dst_port; /* bit<16> */
    __u32 chain_id;    /* bit<32> reserved for CHIMA: the chain the packet belongs to */
    __u32 user0;       /* bit<32> free for functions: carried between functions */
    __u32 user1;       /* bit<32> */
};

/* standard_metadata_t (v1model subset) of p4/include/headers.p4. */
struct chima_standard_metadata {
    __u16 ingress_port;             /* bit<9> */
    __u16 egress_spec;              /* bit<9>; 0 = let segment routing decide */
    __u16 egress_port;              /* bit<9> */
    __u32 packet_length;            /* bit<32> */
    __u8 drop;                      /* set by mark_to_drop() */
    __u64 ingress_global_timestamp; /* bit<48> ns */
};

/* Pipeline-private state kept across tail calls (functions must not touch it). */
struct chima_pipeline_state {
    __u32 l3_offset; /* byte offset of the IPv4 header in the packet as received */
    __u32 l4_offset;
    __u8 label_count; /* MPLS labels present on arrival */
    __u8 label_index; /* next label to evaluate */
    __u8 tail_calls;  /* guards against loops */
    __u8 int_flags;  /* CHIMA_INT_FLAG_* of bpf/switch/int_stack.h (pipeline-private) */
    __u32 labels[CHIMA_MAX_LABELS]; /* raw label stack entries, host order */
    struct chima_headers orig;      /* headers as parsed, to deparse only what changed */
    __u32 sr_egress_port;           /* port chosen by an adjacency SID (0 = none yet) */
};

/* The per-CPU scratch value: key 0 of `chima_scratch`. */
struct chima_packet {
    struct chima_headers hdr;
    struct chima_local_metadata meta;
    struct chima_standard_metadata std;
    struct chima_pipeline_state state;
};

/* Key of the resume program in `chima_resume`. */
#define CHIMA_RESUME_KEY 0

#ifdef __BPF__
/* Maps every function program shares with its switch's pipeline. The loader reuses the
 * switch's pinned maps for these names (bpf_map__reuse_fd) before loading a function. */
#define CHIMA_SHARED_MAPS                        \
    struct {                                     \
        __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); \
        __uint(max_entries, 1);                  \
        __type(key, __u32);                      \
        __type(value, struct chima_packet);      \
    } chima_scratch SEC(".maps");                \
    struct {                                     \
        __uint(type, BPF_MAP_TYPE_PROG_ARRAY);   \
        __uint(max_entries, 1);                  \
        __type(key, __u32);                      \
        __type(value, __u32);                    \
    } chima_resume SEC(".maps");

/* For function programs, after CHIMA_SHARED_MAPS:
 *   struct chima_packet *pkt = CHIMA_PACKET();      // NULL never happens, but check it
 *   ... read / write pkt->hdr, pkt->meta, pkt->std ...
 *   CHIMA_RESUME(skb);                              // does not return on success
 *   return TC_ACT_SHOT;                             // resume program missing
 */
#define CHIMA_PACKET() ((struct chima_packet*)bpf_map_lookup_elem(&chima_scratch, &(__u32){0}))
#define CHIMA_RESUME(skb) bpf_tail_call((skb), &chima_resume, CHIMA_RESUME_KEY)
#endif

#endif /* CHIMA_PIPELINE_H */
