/* Maps of the CHIMA host client (bpf/client) as seen by user space. Included by
 * bpf/client/client.bpf.c and common/src/bpf/. Keys are in host byte order. */
#ifndef CHIMA_CLIENT_H
#define CHIMA_CLIENT_H

#include <linux/types.h>

#include "chima/int.h"
#include "chima/sid.h"

#define CHIMA_MAX_FLOWS 4096

/* `chima_flows` (hash) key: a flow the client manages. */
struct chima_flow_key {
    __u32 src_addr; /* IPv4 source, host order */
    __u32 dst_addr; /* IPv4 destination, host order */
};

/* `chima_flows` value: the label stack pushed on every packet of the flow, top first.
 * Replacing a flow's stack is one map update of this whole value. */
struct chima_flow_stack {
    __u32 depth;                    /* 1..CHIMA_MAX_LABELS */
    __u32 labels[CHIMA_MAX_LABELS]; /* 20-bit label values */
    __u8 ttl;                       /* MPLS TTL of every entry */
    __u8 tc;                        /* traffic class (3 bits) of every entry */
    __u8 pad[2];
};

/* INT-transparent hosting (docs/architecture.md, "Container functions"): TC ingress strips
 * the INT bytes of a packet entering a function and saves them under the packet's
 * destination (the function's address); TC egress puts them back into the next packet that
 * address sends. */

/* Most INT bytes one packet carries: shim + md header + CHIMA_INT_MAX_HOPS hops (108). */
#define CHIMA_CLIENT_INT_MAX_BYTES \
    (CHIMA_INT_SHIM_BYTES + CHIMA_INT_MD_HEADER_BYTES + CHIMA_INT_MAX_HOPS * CHIMA_INT_HOP_BYTES)
/* A saved stack older than this is dropped instead of restored: the function's next output
 * would otherwise carry an old request's timestamps and give a false function sample. */
#define CHIMA_CLIENT_INT_MAX_AGE_NS 1000000000ull
/* Addresses with a saved stack at a time (functions and endpoints of one host). */
#define CHIMA_CLIENT_INT_MAX_SAVED 1024

/* `chima_client_int_saved` (LRU hash) key: IPv4 address, host order. Value: */
struct chima_client_saved_int {
    __u32 length;                           /* bytes used in `bytes`, 12..108, multiple of 4 */
    __u8 bytes[CHIMA_CLIENT_INT_MAX_BYTES]; /* shim + md header + stack, as received */
    __u64 saved_at_ns;                      /* bpf_ktime_get_ns() (CLOCK_MONOTONIC) */
};

/* `chima_client_counters` (per-CPU array of __u64, key = counter). */
enum chima_client_counter {
    CHIMA_CLIENT_PUSHED = 0,    /* packets that got a label stack */
    CHIMA_CLIENT_PUSHED_BYTES,  /* their bytes before the push */
    CHIMA_CLIENT_UNMANAGED,     /* packets of no managed flow, passed unchanged */
    CHIMA_CLIENT_BAD_STACK,     /* flow entry with depth 0 or > CHIMA_MAX_LABELS: dropped */
    CHIMA_CLIENT_PUSH_FAILED,   /* the kernel refused to grow the packet: dropped */
    CHIMA_CLIENT_INT_STRIPPED,  /* ingress: INT bytes removed and saved */
    CHIMA_CLIENT_INT_RESTORED,  /* egress: a saved stack put back */
    CHIMA_CLIENT_INT_EXPIRED,   /* egress: a saved stack too old to restore, discarded */
    CHIMA_CLIENT_INT_MALFORMED, /* ingress: DSCP 0x17 without a usable INT header, passed */
    CHIMA_CLIENT_INT_FAILED,    /* a helper refused: the packet left without its stack
                                   (nothing changed yet) or was dropped (half changed) */
    CHIMA_CLIENT_COUNTER_COUNT
};

#define CHIMA_CLIENT_COUNTER_NAMES                                                         \
    {                                                                                      \
        "pushed", "pushed_bytes", "unmanaged", "bad_stack", "push_failed", "int_stripped", \
            "int_restored", "int_expired", "int_malformed", "int_failed"                   \
    }

/* `chima_client_uplink` (array of __u32, key 0): ifindex of the host's uplink, written when
 * the client is attached to it. Every frame a container function sends is redirected there
 * (chima_client_function_out on TC ingress of the function's veth), so traffic between two
 * functions on the same host still crosses the switch: a P4 function or an INT segment
 * between them is never skipped. */

#endif /* CHIMA_CLIENT_H */
