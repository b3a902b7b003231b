/* Maps of the CHIMA switch pipeline (bpf/switch) as seen by user space: every key, value and
 * counter index that crosses the BPF / C++ boundary. Included by the programs in bpf/switch/ and by
 * common/src/bpf/. Keys are in host byte order unless a comment says otherwise.
 *
 * Pinned map and program names (under the switch's pin directory, see
 * common/include/chima/bpf/switch_pipeline.hpp) are the C identifiers below.
 */
#ifndef CHIMA_SWITCH_H
#define CHIMA_SWITCH_H

#include <linux/bpf.h> /* struct bpf_spin_lock */
#include <linux/types.h>

/* Switch ports are small integers 1..CHIMA_MAX_PORTS-1; port 0 means "none". */
#define CHIMA_MAX_PORTS 64

/* Entries in each forwarding table (unmanaged traffic). */
#define CHIMA_MAX_MAC_ROUTES 4096
#define CHIMA_MAX_PREFIX_ROUTES 4096

/* `chima_ports` (array, key = port number): how a port maps to a device. */
struct chima_port {
    __u32 ifindex;     /* 0 = port not configured */
    __u8 own_mac[6];   /* source MAC written on frames routed out of this port */
    __u8 peer_mac[6];  /* destination MAC written on frames routed out of this port */
    __u32 rewrite_mac; /* 1 = rewrite MACs on SR/LPM forwarding out of this port */
    /* 1 = the port is a veth whose frames go straight into its peer's ingress
     * (bpf_redirect_peer: no transmit queue, no backlog); 0 = transmit on the port, so a
     * qdisc on it (netem of chima-net perturb) applies. */
    __u32 deliver_to_peer;
};

/* `chima_ifindex_ports` (hash, key = __u32 ifindex): value = __u32 port number. */

/* `chima_mac_routes` (hash): exact destination MAC -> port (no MAC rewrite). */
struct chima_mac_key {
    __u8 addr[6];
    __u8 pad[2]; /* always zero */
};

/* `chima_prefix_routes` (LPM trie): IPv4 destination prefix -> port (MACs rewritten from
 * `chima_ports`). The address is in NETWORK byte order, as the LPM trie matches bytes. */
struct chima_prefix_key {
    __u32 prefixlen; /* 0..32 */
    __u32 addr_be;   /* IPv4 address, network byte order */
};

/* Value of both forwarding tables. */
struct chima_route {
    __u32 port;
};

/* `chima_port_counters` (per-CPU array, key = port number). User space sums the CPUs. */
struct chima_port_counters {
    __u64 rx_packets;
    __u64 rx_bytes;
    __u64 tx_packets;
    __u64 tx_bytes;
};

/* `chima_drop_counters` (per-CPU array of __u64, key = reason). */
enum chima_drop_reason {
    CHIMA_DROP_NONE = 0,           /* unused */
    CHIMA_DROP_TRUNCATED_ETHERNET, /* shorter than an Ethernet header */
    CHIMA_DROP_TRUNCATED_MPLS,     /* label stack runs past the packet end */
    CHIMA_DROP_STACK_TOO_DEEP,     /* no bottom-of-stack within CHIMA_MAX_LABELS labels */
    CHIMA_DROP_MPLS_NOT_IPV4,      /* the payload under the label stack is not IPv4 */
    CHIMA_DROP_TRUNCATED_IPV4,     /* IPv4 header truncated or malformed (ihl < 5) */
    CHIMA_DROP_TRUNCATED_L4,       /* UDP/TCP header truncated or malformed */
    CHIMA_DROP_UNKNOWN_SID_BLOCK,  /* label in block 00 (not a CHIMA SID) */
    CHIMA_DROP_BAD_SLOT,           /* function SID argument outside 1..CHIMA_MAX_SLOTS-1 */
    CHIMA_DROP_EMPTY_SLOT,         /* function SID for a slot with no program */
    CHIMA_DROP_FUNCTION,           /* a function called mark_to_drop() */
    CHIMA_DROP_NO_ROUTE,           /* unmanaged packet matched no forwarding entry */
    CHIMA_DROP_BAD_PORT,           /* egress port not configured (no ifindex) */
    CHIMA_DROP_UNKNOWN_INGRESS,    /* arrived on an interface that is not a port */
    CHIMA_DROP_TAIL_CALL_LIMIT,    /* too many tail calls for one packet */
    CHIMA_DROP_INTERNAL,           /* a helper failed (scratch missing, resize failed) */
    CHIMA_DROP_REASON_COUNT
};

/* Names of the drop reasons as user space prints them, indexed by enum chima_drop_reason. */
#define CHIMA_DROP_REASON_NAMES                                                              \
    {                                                                                        \
        "none", "truncated_ethernet", "truncated_mpls", "stack_too_deep", "mpls_not_ipv4",   \
            "truncated_ipv4", "truncated_l4", "unknown_sid_block", "bad_slot", "empty_slot", \
            "function_drop", "no_route", "bad_port", "unknown_ingress", "tail_call_limit",   \
            "internal"                                                                       \
    }

/* ---- In-band Network Telemetry (bpf/switch/int_*.h) ------------------------------------------ */

/* Entries in `chima_int_watchlist`. */
#define CHIMA_INT_MAX_WATCHED_FLOWS 1024
/* Remaining hop count an INT source writes when `chima_int_config.initial_hops` is 0. */
#define CHIMA_INT_DEFAULT_HOPS 8

/* `chima_int_watchlist` (hash): IPv4 flows an INT source instruments. Host byte order. */
struct chima_int_flow_key {
    __u32 src_addr;
    __u32 dst_addr;
};
struct chima_int_watch {
    __u32 flags; /* reserved, 0 */
};

/* `chima_int_sink_ports` (array of __u32, key = port): 1 = the device behind the port is an
 * endpoint (client, host), so INT ends here: it is stripped before the packet leaves. */

/* `chima_int_config` (array, key 0): this switch's INT settings. */
struct chima_int_config {
    __u32 switch_id;    /* reported in every hop's metadata; < 2^14 (CHIMA_INT_SWITCH_ID_MASK) */
    __u32 watching;     /* 1 = the watchlist is not empty (non-watched packets skip the lookup) */
    __u32 initial_hops; /* remaining hop count a source writes; 0 = CHIMA_INT_DEFAULT_HOPS */
    __u32 pad;
};

/* `chima_int_report` (array, key 0): where this switch, as an INT sink, sends its Telemetry
 * Reports (Ethernet / IPv4 / UDP / report header / the packet with its INT stack). Reports
 * travel as unmanaged traffic: the next switches forward them by the collector's MAC. */
struct chima_int_report_config {
    __u32 port;           /* switch port toward the collector; 0 = this sink sends no reports */
    __u32 collector_addr; /* IPv4, host order */
    __u32 source_addr;    /* IPv4 source of the reports (the switch's address), host order */
    __u16 collector_udp_port;
    __u16 source_udp_port;
    __u8 collector_mac[6]; /* the report's destination MAC; the source is the port's own */
    __u8 pad[2];
};

/* `chima_int_report_seq` (array, key 0): sequence number of the next report. One counter for
 * all CPUs (reports of one switch share one sequence), taken under a spin lock: the atomic
 * fetch-and-add with a result needs BPF ISA v3, the objects are built for the default. */
struct chima_int_report_seq {
    struct bpf_spin_lock lock;
    __u32 next;
};

/* Bytes in front of the inner frame: outer Ethernet, IPv4, UDP and the report header. */
#define CHIMA_INT_REPORT_OUTER_BYTES (14 + 20 + 8 + 16)

#endif /* CHIMA_SWITCH_H */
