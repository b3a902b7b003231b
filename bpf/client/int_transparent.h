/* INT-transparent hosting of container functions (docs/architecture.md, "Container functions").
 *
 * A switch hands INT data to a compute host with SID 0xC0000: the packet reaches the host's
 * uplink as plain IPv4 with DSCP 0x17 and the INT bytes (shim, md header, hop stack) right
 * behind the UDP/TCP header, where a function would take them for payload.
 *
 *   ingress   chima_client_int_strip(): removes the INT bytes, restores the original DSCP
 *             from the shim and saves the bytes under the destination address (the
 *             function's own address).
 *   egress    chima_client_int_restore(): the next packet that address sends, within
 *             CHIMA_CLIENT_INT_MAX_AGE_NS, gets the bytes back behind its L4 header, its
 *             DSCP in the shim and DSCP 0x17; the saved stack is used once.
 *
 * The request/response pattern of the functions makes "the next packet the function sends"
 * the output that belongs to the request it received. */
#ifndef CHIMA_CLIENT_INT_TRANSPARENT_H
#define CHIMA_CLIENT_INT_TRANSPARENT_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "byte_move.h"
#include "chima/client.h"
#include "chima/int.h"
#include "counters.h"
#include "l4_packet.h"

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, CHIMA_CLIENT_INT_MAX_SAVED);
    __type(key, __u32);
    __type(value, struct chima_client_saved_int);
} chima_client_int_saved SEC(".maps");

/* Length in bytes of the INT data starting with the 12 header bytes `h`, or 0 when they
 * are not an INT v1.0 hop-by-hop header of the kind CHIMA's switches write. */
static __always_inline __u32 chima_client_int_length(const __u8* h) {
    struct chima_int_shim shim;
    struct chima_int_md_header md;
    chima_decode_int_shim(h, &shim);
    chima_decode_int_md_header(h + CHIMA_INT_SHIM_BYTES, &md);
    if (shim.type != CHIMA_INT_SHIM_TYPE_HOP_BY_HOP || md.version != CHIMA_INT_VERSION ||
        md.hop_ml != CHIMA_INT_HOP_WORDS || md.instructions != CHIMA_INT_INSTRUCTIONS ||
        shim.length < CHIMA_INT_HEADER_WORDS)
        return 0;
    __u32 bytes = (__u32)shim.length * 4;
    return bytes > CHIMA_CLIENT_INT_MAX_BYTES ? 0 : bytes;
}

/* Ingress, for a packet with DSCP 0x17. Returns TC_ACT_OK (stripped, or passed unchanged
 * and counted as malformed) or TC_ACT_SHOT when a helper failed halfway. */
static __always_inline int chima_client_int_strip(struct __sk_buff* skb,
                                                  const struct chima_client_packet* p) {
    __u8 header[CHIMA_INT_SHIM_BYTES + CHIMA_INT_MD_HEADER_BYTES];
    __u32 at = chima_client_int_at(p);
    __u32 skb_len = skb->len;
    /* GRO merged segments would carry more than one stack: not ours to take apart */
    if (!p->l4 || skb->gso_size || bpf_skb_load_bytes(skb, at, header, sizeof(header))) {
        chima_client_count(CHIMA_CLIENT_INT_MALFORMED, 1);
        return TC_ACT_OK;
    }
    __u32 bytes = chima_client_int_length(header);
    __u32 ip_end = CHIMA_ETH_HLEN + p->total_len;
    if (bytes == 0 || at + bytes > ip_end || at + bytes > skb_len ||
        (p->protocol == CHIMA_IPPROTO_UDP && p->udp_len < CHIMA_UDP_HLEN + bytes)) {
        chima_client_count(CHIMA_CLIENT_INT_MALFORMED, 1);
        return TC_ACT_OK;
    }

    struct chima_client_saved_int saved = {};
    bytes &= 0x7c; /* a no-op (bytes <= 108, whole words): the bound for the verifier */
    if (bytes < CHIMA_INT_HEADER_WORDS * 4 || bytes > CHIMA_CLIENT_INT_MAX_BYTES)
        return TC_ACT_OK;
    if (bpf_skb_load_bytes(skb, at, saved.bytes, bytes)) {
        chima_client_count(CHIMA_CLIENT_INT_MALFORMED, 1);
        return TC_ACT_OK;
    }
    saved.length = bytes;
    saved.saved_at_ns = bpf_ktime_get_ns();
    __u32 key = p->dst_addr;
    /* A full LRU map evicts the oldest stack; the function must see plain payload even
     * when its stack cannot be kept, so a failed update does not stop the strip. */
    bpf_map_update_elem(&chima_client_int_saved, &key, &saved, BPF_ANY);

    __s64 diff = bpf_csum_diff((__be32*)saved.bytes, bytes, 0, 0, 0);
    if (chima_client_payload_csum(skb, p, diff) ||
        chima_client_move_bytes(skb, at + bytes, at, skb_len - at - bytes) ||
        chima_client_fix_headers(skb, p, -(__s32)bytes, saved.bytes[3] >> 2)) {
        chima_client_count(CHIMA_CLIENT_INT_FAILED, 1);
        return TC_ACT_SHOT;
    }
    /* The kernel may refuse to trim below what it takes for the headers' span; the bytes
     * past the IPv4 total length then stay as padding, which receivers ignore. */
    bpf_skb_change_tail(skb, skb_len - bytes, 0);
    chima_client_count(CHIMA_CLIENT_INT_STRIPPED, 1);
    return TC_ACT_OK;
}

/* Egress: puts back the stack saved for the packet's source, if there is a fresh one.
 * Returns 1 when the packet changed (the caller re-reads it), 0 when not, -1 when a helper
 * failed halfway (drop). */
static __always_inline int chima_client_int_restore(struct __sk_buff* skb,
                                                    const struct chima_client_packet* p) {
    __u32 key = p->src_addr;
    struct chima_client_saved_int* entry = bpf_map_lookup_elem(&chima_client_int_saved, &key);
    if (!entry)
        return 0;
    if (bpf_ktime_get_ns() - entry->saved_at_ns > CHIMA_CLIENT_INT_MAX_AGE_NS) {
        if (bpf_map_delete_elem(&chima_client_int_saved, &key) == 0)
            chima_client_count(CHIMA_CLIENT_INT_EXPIRED, 1);
        return 0;
    }
    /* Not a packet a stack can ride on (yet): the stack waits for the next one. A packet
     * that already carries INT keeps its own. */
    if (!p->l4 || skb->gso_size || chima_client_dscp(p) == CHIMA_INT_DSCP ||
        p->total_len > 0xFFFF - CHIMA_CLIENT_INT_MAX_BYTES)
        return 0;

    struct chima_client_saved_int saved;
    __builtin_memcpy(&saved, entry, sizeof(saved));
    /* One restore per saved stack: of two CPUs racing for it, the one that deletes it wins. */
    if (bpf_map_delete_elem(&chima_client_int_saved, &key))
        return 0;
    __u32 bytes = saved.length & 0x7c;
    if (bytes < CHIMA_INT_HEADER_WORDS * 4 || bytes > CHIMA_CLIENT_INT_MAX_BYTES)
        return 0;
    saved.bytes[3] = (__u8)(chima_client_dscp(p) << 2);

    __u32 at = chima_client_int_at(p);
    __u32 skb_len = skb->len;
    if (bpf_skb_change_tail(skb, skb_len + bytes, 0)) {
        chima_client_count(CHIMA_CLIENT_INT_FAILED, 1);
        return 0; /* nothing changed yet: the packet leaves without the stack */
    }
    __s64 diff = bpf_csum_diff(0, 0, (__be32*)saved.bytes, bytes, 0);
    if (chima_client_move_bytes(skb, at, at + bytes, skb_len - at) ||
        bpf_skb_store_bytes(skb, at, saved.bytes, bytes, 0) ||
        chima_client_payload_csum(skb, p, diff) ||
        chima_client_fix_headers(skb, p, (__s32)bytes, CHIMA_INT_DSCP)) {
        chima_client_count(CHIMA_CLIENT_INT_FAILED, 1);
        return -1;
    }
    chima_client_count(CHIMA_CLIENT_INT_RESTORED, 1);
    return 1;
}

#endif /* CHIMA_CLIENT_INT_TRANSPARENT_H */
