/* Forwarding for traffic segment routing did not place: exact destination MAC first (a plain
 * L2 hop, frame unchanged), then IPv4 longest prefix match (a routed hop, MACs rewritten from
 * the egress port's entry). Fills *port; returns 1 when the hop is routed. */
#ifndef CHIMA_SWITCH_FORWARD_H
#define CHIMA_SWITCH_FORWARD_H

#include <bpf/bpf_endian.h>

#include "maps.h"

static __always_inline int chima_forward_lookup(const struct chima_packet* pkt, __u32* port,
                                                int* routed) {
    struct chima_mac_key mac = {};
    __u64 dst = pkt->hdr.ethernet.dst_addr;
    mac.addr[0] = (dst >> 40) & 0xff;
    mac.addr[1] = (dst >> 32) & 0xff;
    mac.addr[2] = (dst >> 24) & 0xff;
    mac.addr[3] = (dst >> 16) & 0xff;
    mac.addr[4] = (dst >> 8) & 0xff;
    mac.addr[5] = dst & 0xff;
    struct chima_route* route = bpf_map_lookup_elem(&chima_mac_routes, &mac);
    if (route) {
        *port = route->port;
        *routed = 0;
        return 0;
    }
    if (!pkt->hdr.ipv4_valid)
        return -1;
    struct chima_prefix_key prefix = {.prefixlen = 32,
                                      .addr_be = bpf_htonl(pkt->hdr.ipv4.dst_addr)};
    route = bpf_map_lookup_elem(&chima_prefix_routes, &prefix);
    if (!route)
        return -1;
    *port = route->port;
    *routed = 1;
    return 0;
}

static __always_inline __u64 chima_mac_from_bytes(const __u8* p) {
    return ((__u64)p[0] << 40) | ((__u64)p[1] << 32) | ((__u64)p[2] << 24) | ((__u64)p[3] << 16) |
           ((__u64)p[4] << 8) | (__u64)p[5];
}

/* A routed hop (SR adjacency or prefix route) addresses the frame to the device behind the
 * egress port, unless a function already chose the addresses. */
static __always_inline void chima_rewrite_macs(struct chima_packet* pkt,
                                               const struct chima_port* port) {
    if (!port->rewrite_mac)
        return;
    if (pkt->hdr.ethernet.dst_addr == pkt->state.orig.ethernet.dst_addr)
        pkt->hdr.ethernet.dst_addr = chima_mac_from_bytes(port->peer_mac);
    if (pkt->hdr.ethernet.src_addr == pkt->state.orig.ethernet.src_addr)
        pkt->hdr.ethernet.src_addr = chima_mac_from_bytes(port->own_mac);
}

/* Sends the frame out of `egress`: straight into the peer of a veth port (the next node's
 * ingress runs at once, as the Linux bridge cannot), or transmitted on the port when a qdisc
 * there must see it. */
static __always_inline int chima_send(const struct chima_port* egress) {
    if (egress->deliver_to_peer)
        return bpf_redirect_peer(egress->ifindex, 0);
    return bpf_redirect(egress->ifindex, 0);
}

#endif /* CHIMA_SWITCH_FORWARD_H */
