/* Maps of the CHIMA host client (bpf/client) as seen by user space. Included by
 * bpf/client/client.bpf.c and common/src/bpf/. Keys are in host byte order. */
#ifndef CHIMA_CLIENT_H
#define CHIMA_CLIENT_H

#include <linux/types.h>

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

/* `chima_client_counters` (per-CPU array of __u64, key = counter). */
enum chima_client_counter {
    CHIMA_CLIENT_PUSHED = 0,   /* packets that got a label stack */
    CHIMA_CLIENT_PUSHED_BYTES, /* their bytes before the push */
    CHIMA_CLIENT_UNMANAGED,    /* packets of no managed flow, passed unchanged */
    CHIMA_CLIENT_BAD_STACK,    /* flow entry with depth 0 or > CHIMA_MAX_LABELS: dropped */
    CHIMA_CLIENT_PUSH_FAILED,  /* the kernel refused to grow the packet: dropped */
    CHIMA_CLIENT_COUNTER_COUNT
};

#define CHIMA_CLIENT_COUNTER_NAMES \
    { "pushed", "pushed_bytes", "unmanaged", "bad_stack", "push_failed" }

#endif /* CHIMA_CLIENT_H */
