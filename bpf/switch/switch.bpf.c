/* The CHIMA switch pipeline, attached to TC ingress of every port (docs/architecture.md,
 * "The switch pipeline").
 *
 *   chima_pipeline_ingress: parse -> segment evaluation -> forward/deparse -> redirect
 *   chima_pipeline_resume:  entered from a function program (chima_resume[0]); continues
 *                           segment evaluation where the function SID left it.
 *
 * Segment evaluation walks the label stack from the top: a function SID tail-calls the
 * function in chima_slots[arg]; an adjacency SID ends evaluation and forwards out of port
 * <arg>; INT SIDs go to the INT hook. Every evaluated label is popped; popping the last one
 * turns the frame back into plain IPv4 (penultimate hop popping). A stack evaluated to the
 * bottom without an adjacency is forwarded like unmanaged traffic (forwarding tables). */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <stddef.h>
#include <bpf/bpf_helpers.h>

#include "chima/pipeline.h"
#include "chima/sid.h"
#include "chima/switch.h"
#include "counters.h"
#include "deparse.h"
#include "forward.h"
#include "int_hook.h"
#include "maps.h"
#include "parse.h"

/* One tail call into a function per label at most. */
#define CHIMA_MAX_FUNCTION_CALLS CHIMA_MAX_LABELS

static __always_inline struct chima_packet* chima_scratch_packet(void) {
    __u32 key = 0;
    return bpf_map_lookup_elem(&chima_scratch, &key);
}

/* Chooses the egress port, deparses and redirects. A global function: the verifier checks it
 * once on its own instead of once per path through segment evaluation. */
__attribute__((noinline)) int chima_finish(struct __sk_buff* skb) {
    struct chima_packet* pkt = chima_scratch_packet();
    if (!pkt)
        return chima_drop(CHIMA_DROP_INTERNAL);
    if (pkt->std.drop)
        return chima_drop(CHIMA_DROP_FUNCTION);

    __u32 port = pkt->std.egress_spec ? pkt->std.egress_spec : pkt->state.sr_egress_port;
    int routed = 1;
    if (port == 0 && chima_forward_lookup(pkt, &port, &routed))
        return chima_drop(CHIMA_DROP_NO_ROUTE);
    if (port == 0 || port >= CHIMA_MAX_PORTS)
        return chima_drop(CHIMA_DROP_BAD_PORT);
    struct chima_port* egress = bpf_map_lookup_elem(&chima_ports, &port);
    if (!egress || egress->ifindex == 0)
        return chima_drop(CHIMA_DROP_BAD_PORT);
    if (routed)
        chima_rewrite_macs(pkt, egress);

    __u32 pop = pkt->state.label_index;
    if (pop > CHIMA_MAX_LABELS)
        return chima_drop(CHIMA_DROP_INTERNAL);
    /* Penultimate hop popping: with no label left the frame carries IPv4 again. */
    if (pop > 0 && pop == pkt->state.label_count &&
        pkt->hdr.ethernet.ether_type == pkt->state.orig.ethernet.ether_type)
        pkt->hdr.ethernet.ether_type = ETH_P_IP;

    struct chima_int_plan int_plan;
    if (chima_int_prepare(skb, pkt, &int_plan, port))
        return chima_drop(CHIMA_DROP_INTERNAL);
    if (chima_deparse(skb, pkt, pop))
        return chima_drop(CHIMA_DROP_INTERNAL);
    if (int_plan.action == CHIMA_INT_ACTION_REPORT) {
        if (chima_int_defer_sink(&int_plan, pop, port, egress))
            return chima_drop(CHIMA_DROP_INTERNAL);
        return CHIMA_FINISH_SINK;
    }
    if (chima_int_commit(skb, pkt, &int_plan, pop))
        return chima_drop(CHIMA_DROP_INTERNAL);
    pkt->std.egress_port = port;
    chima_count_tx(port, skb->len);
    /* A frame that arrived as MPLS and leaves as IPv4 still has skb->protocol MPLS (no
     * helper changes it from MPLS), and a frame put straight into the peer's ingress keeps
     * it: the peer's stack would drop it as a protocol it has no handler for. Transmitted,
     * it is classified again from its ethertype on the other side. */
    if (egress->deliver_to_peer && skb->protocol != bpf_htons(pkt->hdr.ethernet.ether_type))
        return bpf_redirect(egress->ifindex, 0);
    return chima_send(egress);
}

/* chima_finish(), then the reporting INT sink when chima_finish() leaves it the packet. */
static __always_inline int chima_complete(struct __sk_buff* skb) {
    int verdict = chima_finish(skb);
    return verdict == CHIMA_FINISH_SINK ? chima_int_sink(skb) : verdict;
}

static __always_inline int chima_evaluate(struct __sk_buff* skb, struct chima_packet* pkt) {
#pragma unroll
    for (int i = 0; i < CHIMA_MAX_LABELS; i++) {
        __u32 index = pkt->state.label_index;
        if (index >= pkt->state.label_count || index >= CHIMA_MAX_LABELS)
            break;
        __u32 label = pkt->state.labels[index & (CHIMA_MAX_LABELS - 1)] >> 12;
        __u32 arg = chima_sid_arg(label);
        pkt->state.label_index = index + 1;
        switch (chima_sid_block(label)) {
            case CHIMA_SID_BLOCK_FUNCTION:
                if (arg == 0 || arg >= CHIMA_MAX_SLOTS)
                    return chima_drop(CHIMA_DROP_BAD_SLOT);
                if (pkt->state.tail_calls >= CHIMA_MAX_FUNCTION_CALLS)
                    return chima_drop(CHIMA_DROP_TAIL_CALL_LIMIT);
                pkt->state.tail_calls++;
                bpf_tail_call(skb, &chima_slots, arg);
                return chima_drop(CHIMA_DROP_EMPTY_SLOT);
            case CHIMA_SID_BLOCK_ADJACENCY:
                pkt->state.sr_egress_port = arg;
                return chima_complete(skb);
            case CHIMA_SID_BLOCK_INT:
                chima_int_segment(pkt, label);
                break;
            default:
                return chima_drop(CHIMA_DROP_UNKNOWN_SID_BLOCK);
        }
    }
    return chima_complete(skb);
}

SEC("tc")
int chima_pipeline_ingress(struct __sk_buff* skb) {
    __u32 ifindex = skb->ifindex;
    __u32* ingress_port = bpf_map_lookup_elem(&chima_ifindex_ports, &ifindex);
    if (!ingress_port)
        return chima_drop(CHIMA_DROP_UNKNOWN_INGRESS);
    __u32 port = *ingress_port;
    chima_count_rx(port, skb->len);

    struct chima_packet* pkt = chima_scratch_packet();
    if (!pkt)
        return chima_drop(CHIMA_DROP_INTERNAL);
    /* Headers and metadata start zeroed (valid bits off). The saved label stack and the
     * header copy in `state` are written before they are read, so they are not cleared. */
    __builtin_memset(pkt, 0, offsetof(struct chima_packet, state));
    pkt->state.l3_offset = 0;
    pkt->state.l4_offset = 0;
    pkt->state.label_count = 0;
    pkt->state.label_index = 0;
    pkt->state.tail_calls = 0;
    pkt->state.int_flags = 0;
    pkt->state.sr_egress_port = 0;
    pkt->std.ingress_port = port;
    pkt->std.packet_length = skb->len;
    pkt->std.ingress_global_timestamp = bpf_ktime_get_ns();

    int reason = chima_parse(skb, pkt);
    if (reason)
        return chima_drop(reason);
    chima_int_classify(skb, pkt);
    pkt->state.orig = pkt->hdr;
    return chima_evaluate(skb, pkt);
}

SEC("tc")
int chima_pipeline_resume(struct __sk_buff* skb) {
    struct chima_packet* pkt = chima_scratch_packet();
    if (!pkt)
        return chima_drop(CHIMA_DROP_INTERNAL);
    return chima_evaluate(skb, pkt);
}

char LICENSE[] SEC("license") = "GPL";
