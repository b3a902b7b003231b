/* CHIMA's v1model pipeline for hardware (P4Runtime) switches: the template chima-compile
 * merges a switch's P4 functions into (DESIGN.md sections 6-7).
 *
 *   parser     Ethernet, up to 8 MPLS labels (SR-MPLS), IPv4, TCP/UDP, and after L4 the
 *              INT v1.0 shim, metadata header and hop stack when the IPv4 DSCP is 0x17.
 *   ingress    segment evaluation with CHIMA's SID blocks (bpf/include/chima/sid.h):
 *                01 function SID  -> pop, run the function in slot <arg> (dispatch below)
 *                10 adjacency SID -> pop, out of port <arg>, stop (penultimate hop popping)
 *                11 INT SIDs      -> 0xC0000 INT data to the attached host (sink here),
 *                                    0xC0000|id end of container function <id>
 *              traffic without labels goes through the forwarding table; INT source, transit
 *              and sink roles in the outline of ONOS' int.p4 (hop metadata added in egress,
 *              the sink strips INT and clones a telemetry report to the collector).
 *   egress, checksum update, deparser, V1Switch.
 *
 * chima-compile replaces the three injection marker lines: the function controls
 * (include), one instance per slot (instantiation), and the dispatch by slot. A function
 * sees the same headers_t / local_metadata_t / standard_metadata_t as on the eBPF switch
 * (p4/include/headers.p4); the pipeline copies its headers in and out around the call. */
/* p4c's own core.p4 and v1model.p4 for real targets (chima-compile's front end reads its
 * equivalents in p4/include); CHIMA's types by a path relative to this file, which
 * chima-compile makes absolute in the merged programs it writes elsewhere. */
#include <core.p4>
#include <v1model.p4>
#include "include/chima_types.p4"

const bit<16> ETHERTYPE_IPV4 = 0x0800;
const bit<16> ETHERTYPE_MPLS = 0x8847;
const bit<8> PROTO_TCP = 6;
const bit<8> PROTO_UDP = 17;
const bit<6> INT_DSCP = 0x17;
const bit<2> SID_BLOCK_FUNCTION = 1;
const bit<2> SID_BLOCK_ADJACENCY = 2;
const bit<2> SID_BLOCK_INT = 3;
const bit<18> SID_INT_TO_HOST = 0;
const bit<32> REPORT_MIRROR_SESSION = 500;
const bit<16> INT_REPORT_UDP_PORT = 54321;
const bit<32> INSTANCE_TYPE_EGRESS_CLONE = 2;
const bit<32> INSTANCE_TYPE_RECIRC = 4;

/* Counter sizes and drop reasons as the eBPF pipeline keeps them (bpf/include/chima/switch.h:
 * CHIMA_MAX_PORTS, enum chima_drop_reason), so a controller reads the same indices on both. */
const bit<32> PORT_COUNTERS = 64;
const bit<32> DROP_REASONS = 16;
const bit<32> DROP_MPLS_NOT_IPV4 = 4;
const bit<32> DROP_UNKNOWN_SID_BLOCK = 7;
const bit<32> DROP_FUNCTION = 10;
const bit<32> DROP_NO_ROUTE = 11;
const bit<8> INT_DEFAULT_HOPS = 8;

header mpls_t {
    bit<20> label;
    bit<3> tc;
    bit<1> bos;
    bit<8> ttl;
}

/* INT v1.0 shim for TCP/UDP: length in 4-byte words including shim and metadata header. */
header int_shim_t {
    bit<8> int_type;
    bit<8> rsvd1;
    bit<8> len;
    bit<6> dscp;
    bit<2> rsvd2;
}

header int_header_t {
    bit<4> ver;
    bit<2> rep;
    bit<1> c;
    bit<1> e;
    bit<1> m;
    bit<10> rsvd1;
    bit<5> hop_metadata_len;
    bit<8> remaining_hop_cnt;
    bit<16> instruction_mask;
    bit<16> rsvd2;
}

/* This hop's items (bits 0, 4, 5 of the instruction bitmap), emitted before the stack
 * so the newest hop comes first. */
header int_switch_id_t {
    bit<32> switch_id;
}

header int_ingress_tstamp_t {
    bit<32> ingress_tstamp;
}

header int_egress_tstamp_t {
    bit<32> egress_tstamp;
}

/* Earlier hops' items, carried through word by word. */
header int_word_t {
    bit<32> word;
}

/* Telemetry report v1.0 fixed header, sent to the collector over UDP. */
header int_report_fixed_t {
    bit<4> ver;
    bit<4> len;
    bit<3> nproto;
    bit<6> rep_md_bits;
    bit<6> rsvd;
    bit<1> d;
    bit<1> q;
    bit<1> f;
    bit<6> hw_id;
    bit<32> switch_id;
    bit<32> seq_no;
    bit<32> ingress_tstamp;
}

struct chima_headers_t {
    ethernet_t report_ethernet;
    ipv4_t report_ipv4;
    udp_t report_udp;
    int_report_fixed_t report_fixed;
    ethernet_t ethernet;
    mpls_t[8] mpls;
    ipv4_t ipv4;
    tcp_t tcp;
    udp_t udp;
    int_shim_t int_shim;
    int_header_t int_header;
    int_switch_id_t int_switch_id;
    int_ingress_tstamp_t int_ingress_tstamp;
    int_egress_tstamp_t int_egress_tstamp;
    int_word_t[32] int_stack;
}

struct chima_metadata_t {
    local_metadata_t fn;  // what the injected functions read and write
    bit<2> sid_block;
    bit<18> sid_arg;
    bit<32> slot;
    bit<8> int_words;  // INT stack words still to parse
    bit<32> switch_id;
    bit<8> int_initial_hops;  // 0: INT_DEFAULT_HOPS
    bit<16> l4_len;           // IPv4 payload bytes, for the TCP checksum (bmv2 computes none)
    bit<32> function_end;  // container function whose end this hop marks (0 = none)
    bool int_source;
    bool int_sink;
    bool recirculate;
}

parser ChimaParser(packet_in packet, out chima_headers_t hdr, inout chima_metadata_t meta,
                   inout standard_metadata_t standard_metadata) {
    state start {
        transition parse_ethernet;
    }
    state parse_ethernet {
        packet.extract(hdr.ethernet);
        transition select(hdr.ethernet.ether_type) {
            ETHERTYPE_MPLS: parse_mpls;
            ETHERTYPE_IPV4: parse_ipv4;
            default: accept;
        }
    }
    /* More than 8 labels overflow the stack: the parser rejects the packet. */
    state parse_mpls {
        packet.extract(hdr.mpls.next);
        transition select(hdr.mpls.last.bos) {
            1: parse_after_mpls;
            default: parse_mpls;
        }
    }
    state parse_after_mpls {
        transition select(packet.lookahead<bit<4>>()) {
            4: parse_ipv4;
            default: accept;
        }
    }
    state parse_ipv4 {
        packet.extract(hdr.ipv4);
        transition select(hdr.ipv4.protocol) {
            PROTO_TCP: parse_tcp;
            PROTO_UDP: parse_udp;
            default: accept;
        }
    }
    state parse_tcp {
        packet.extract(hdr.tcp);
        meta.fn.l4_src_port = hdr.tcp.src_port;
        meta.fn.l4_dst_port = hdr.tcp.dst_port;
        transition select(hdr.ipv4.dscp) {
            INT_DSCP: parse_int;
            default: accept;
        }
    }
    state parse_udp {
        packet.extract(hdr.udp);
        meta.fn.l4_src_port = hdr.udp.src_port;
        meta.fn.l4_dst_port = hdr.udp.dst_port;
        transition select(hdr.ipv4.dscp) {
            INT_DSCP: parse_int;
            default: accept;
        }
    }
    state parse_int {
        packet.extract(hdr.int_shim);
        packet.extract(hdr.int_header);
        meta.int_words = hdr.int_shim.len - 3;
        transition select(meta.int_words) {
            0: accept;
            default: parse_int_word;
        }
    }
    state parse_int_word {
        packet.extract(hdr.int_stack.next);
        meta.int_words = meta.int_words - 1;
        transition select(meta.int_words) {
            0: accept;
            default: parse_int_word;
        }
    }
}

control ChimaVerifyChecksum(inout chima_headers_t hdr, inout chima_metadata_t meta) {
    apply {
        verify_checksum(hdr.ipv4.isValid(),
            { hdr.ipv4.version, hdr.ipv4.ihl, hdr.ipv4.dscp, hdr.ipv4.ecn, hdr.ipv4.len,
              hdr.ipv4.identification, hdr.ipv4.flags, hdr.ipv4.frag_offset, hdr.ipv4.ttl,
              hdr.ipv4.protocol, hdr.ipv4.src_addr, hdr.ipv4.dst_addr },
            hdr.ipv4.hdr_checksum, HashAlgorithm.csum16);
    }
}

/* ---- injected function controls */
// @CHIMA_INJECT_INCLUDE@

/* The switch's functions, one instance per slot, dispatched by the function SID's slot. */
control ChimaFunctions(inout headers_t hdr, inout local_metadata_t local_metadata,
                       inout standard_metadata_t standard_metadata, in bit<32> slot) {
    // @CHIMA_INJECT_INSTANCES@
    apply {
        // @CHIMA_INJECT_DISPATCH@
    }
}

control ChimaIngress(inout chima_headers_t hdr, inout chima_metadata_t meta,
                     inout standard_metadata_t standard_metadata) {
    ChimaFunctions() functions;

    /* Indexed by port number and by drop reason, as chima_port_counters (rx half) and
     * chima_drop_counters of the eBPF switch. */
    counter(PORT_COUNTERS, CounterType.packets_and_bytes) port_rx;
    counter(DROP_REASONS, CounterType.packets) drops;

    /* A drop counted under its reason (enum chima_drop_reason). */
    action drop_for(bit<32> reason) {
        mark_to_drop(standard_metadata);
        drops.count(reason);
    }

    /* The forwarding tables' miss: no route for unmanaged traffic. */
    action drop() {
        drop_for(DROP_NO_ROUTE);
    }

    action forward(port_num_t port) {
        standard_metadata.egress_spec = port;
    }

    /* Unmanaged traffic (no label stack) by destination MAC first (the collector's reports
     * travel this way), filled by the controller. */
    table mac_forwarding {
        key = {
            hdr.ethernet.dst_addr : exact;
        }
        actions = { forward; NoAction; }
        default_action = NoAction();
        size = 4096;
    }

    /* Then plain IPv4 forwarding by longest prefix, filled by the controller. */
    table forwarding {
        key = {
            hdr.ipv4.dst_addr : lpm;
        }
        actions = { forward; drop; }
        default_action = drop();
        size = 4096;
    }

    /* The switch's INT id and the remaining hop count its INT source writes (0: 8). */
    action set_switch_id(bit<32> switch_id, bit<8> initial_hops) {
        meta.switch_id = switch_id;
        meta.int_initial_hops = initial_hops;
    }

    /* One entry per switch: its INT switch id (the controller writes it). */
    table switch_config {
        key = {
            standard_metadata.ingress_port : ternary;
        }
        actions = { set_switch_id; NoAction; }
        default_action = NoAction();
        size = 1;
    }

    action mark_int_source() {
        meta.int_source = true;
    }

    /* The INT watchlist: flows this switch is the INT source of (the client's first
     * switch), by IPv4 source and destination. */
    table int_source {
        key = {
            hdr.ipv4.src_addr : exact;
            hdr.ipv4.dst_addr : exact;
        }
        actions = { mark_int_source; NoAction; }
        default_action = NoAction();
        size = 1024;
    }

    action decode_active_segment() {
        meta.sid_block = hdr.mpls[0].label[19:18];
        meta.sid_arg = hdr.mpls[0].label[17:0];
    }

    /* The last label popped: the packet is plain IPv4 again. */
    action pop_segment() {
        hdr.mpls.pop_front(1);
    }

    /* An INT SID: this hop is the sink (to host) or marks a container function's end. */
    action take_int_segment() {
        if (meta.sid_arg == SID_INT_TO_HOST) {
            meta.int_sink = true;
        } else {
            meta.function_end = (bit<32>)meta.sid_arg;
        }
        hdr.mpls.pop_front(1);
    }

    action restore_ipv4_ethertype() {
        hdr.ethernet.ether_type = ETHERTYPE_IPV4;
    }

    apply {
        port_rx.count((bit<32>)standard_metadata.ingress_port);
        switch_config.apply();
        if (!hdr.mpls[0].isValid()) {
            if (hdr.ipv4.isValid()) {
                if (hdr.udp.isValid() || hdr.tcp.isValid()) {
                    if (hdr.ipv4.dscp != INT_DSCP) {
                        int_source.apply();
                    }
                }
            }
            if (!mac_forwarding.apply().hit) {
                if (hdr.ipv4.isValid()) {
                    forwarding.apply();
                } else {
                    drop();
                }
            }
            return;
        }

        /* INT SIDs sit next to the segment they measure (before or after a function). */
        decode_active_segment();
        if (meta.sid_block == SID_BLOCK_INT) {
            take_int_segment();
            if (!hdr.mpls[0].isValid()) {
                drop_for(DROP_MPLS_NOT_IPV4);
                return;
            }
            decode_active_segment();
        }

        if (meta.sid_block == SID_BLOCK_FUNCTION) {
            meta.slot = (bit<32>)meta.sid_arg;
            pop_segment();
            headers_t fn_hdr;
            fn_hdr.ethernet = hdr.ethernet;
            fn_hdr.ipv4 = hdr.ipv4;
            fn_hdr.tcp = hdr.tcp;
            fn_hdr.udp = hdr.udp;
            functions.apply(fn_hdr, meta.fn, standard_metadata, meta.slot);
            hdr.ethernet = fn_hdr.ethernet;
            hdr.ipv4 = fn_hdr.ipv4;
            hdr.tcp = fn_hdr.tcp;
            hdr.udp = fn_hdr.udp;
            if (standard_metadata.egress_spec == 511) {
                drops.count(DROP_FUNCTION);
                return;  // the function dropped the packet
            }
            if (!hdr.mpls[0].isValid()) {
                drop_for(DROP_MPLS_NOT_IPV4);
                return;
            }
            decode_active_segment();
            if (meta.sid_block == SID_BLOCK_INT) {
                take_int_segment();
                if (!hdr.mpls[0].isValid()) {
                    drop_for(DROP_MPLS_NOT_IPV4);
                    return;
                }
                decode_active_segment();
            }
            if (meta.sid_block == SID_BLOCK_FUNCTION) {
                /* The next function is on this switch too: one more pass (one function
                 * instance is applied at most once per pass). */
                meta.recirculate = true;
                return;
            }
        }

        if (meta.sid_block == SID_BLOCK_ADJACENCY) {
            standard_metadata.egress_spec = (port_num_t)meta.sid_arg[8:0];
            pop_segment();
            if (!hdr.mpls[0].isValid()) {
                restore_ipv4_ethertype();
            }
        } else {
            drop_for(DROP_UNKNOWN_SID_BLOCK);  // block 00: no CHIMA segment
        }
    }
}

control ChimaEgress(inout chima_headers_t hdr, inout chima_metadata_t meta,
                    inout standard_metadata_t standard_metadata) {
    register<bit<32>>(1) report_seq_no;

    /* Indexed by port number, as the tx half of chima_port_counters. */
    counter(PORT_COUNTERS, CounterType.packets_and_bytes) port_tx;

    action mark_int_sink() {
        meta.int_sink = true;
    }

    /* Ports whose device is an endpoint: INT ends here, stripped before the packet leaves. */
    table int_sink_ports {
        key = {
            standard_metadata.egress_port : exact;
        }
        actions = { mark_int_sink; NoAction; }
        default_action = NoAction();
        size = 64;
    }

    /* The report goes out of `port` (the port of clone session REPORT_MIRROR_SESSION on
     * v1model), from src_ip:src_udp_port to collector_ip:collector_udp_port. */
    action set_report_endpoints(mac_addr_t src_mac, mac_addr_t collector_mac,
                                ipv4_addr_t src_ip, ipv4_addr_t collector_ip,
                                bit<16> src_udp_port, bit<16> collector_udp_port,
                                port_num_t port) {
        hdr.report_ethernet.setValid();
        hdr.report_ethernet.src_addr = src_mac;
        hdr.report_ethernet.dst_addr = collector_mac;
        hdr.report_ethernet.ether_type = ETHERTYPE_IPV4;
        hdr.report_ipv4.setValid();
        hdr.report_ipv4.version = 4;
        hdr.report_ipv4.ihl = 5;
        hdr.report_ipv4.dscp = 0;
        hdr.report_ipv4.ecn = 0;
        hdr.report_ipv4.identification = 0;
        hdr.report_ipv4.flags = 0;
        hdr.report_ipv4.frag_offset = 0;
        hdr.report_ipv4.ttl = 64;
        hdr.report_ipv4.protocol = PROTO_UDP;
        hdr.report_ipv4.src_addr = src_ip;
        hdr.report_ipv4.dst_addr = collector_ip;
        /* outer IPv4 + UDP + report header + the inner packet */
        hdr.report_ipv4.len = (bit<16>)standard_metadata.packet_length + 20 + 8 + 16;
        hdr.report_udp.setValid();
        hdr.report_udp.src_port = src_udp_port;
        hdr.report_udp.dst_port = collector_udp_port;
        hdr.report_udp.len = (bit<16>)standard_metadata.packet_length + 8 + 16;
        hdr.report_udp.checksum = 0;
    }

    /* The collector this switch reports to (one entry, written by the controller). */
    table int_report {
        key = {
            standard_metadata.egress_port : ternary;
        }
        actions = { set_report_endpoints; NoAction; }
        default_action = NoAction();
        size = 1;
    }

    /* Source: a shim and metadata header asking for switch id, ingress and egress time
     * (bitmap 0x8C00, 3 words a hop), room for 8 hops. */
    action add_int_header() {
        hdr.int_shim.setValid();
        hdr.int_shim.int_type = 1;
        hdr.int_shim.rsvd1 = 0;
        hdr.int_shim.len = 3;
        hdr.int_shim.dscp = hdr.ipv4.dscp;
        hdr.int_shim.rsvd2 = 0;
        hdr.int_header.setValid();
        hdr.int_header.ver = 1;
        hdr.int_header.rep = 0;
        hdr.int_header.c = 0;
        hdr.int_header.e = 0;
        hdr.int_header.m = 0;
        hdr.int_header.rsvd1 = 0;
        hdr.int_header.hop_metadata_len = 3;
        hdr.int_header.remaining_hop_cnt =
            meta.int_initial_hops == 0 ? INT_DEFAULT_HOPS : meta.int_initial_hops;
        hdr.int_header.instruction_mask = 0x8C00;
        hdr.int_header.rsvd2 = 0;
        hdr.ipv4.dscp = INT_DSCP;
        hdr.ipv4.len = hdr.ipv4.len + 12;
        if (hdr.udp.isValid()) {
            hdr.udp.len = hdr.udp.len + 12;
        }
    }

    /* Transit (every INT hop, the source and the sink included): this hop's items. */
    action add_hop_metadata() {
        hdr.int_switch_id.setValid();
        hdr.int_switch_id.switch_id = (meta.function_end << 14) | meta.switch_id;
        hdr.int_ingress_tstamp.setValid();
        hdr.int_ingress_tstamp.ingress_tstamp = standard_metadata.ingress_global_timestamp[31:0];
        hdr.int_egress_tstamp.setValid();
        hdr.int_egress_tstamp.egress_tstamp = standard_metadata.egress_global_timestamp[31:0];
        hdr.int_header.remaining_hop_cnt = hdr.int_header.remaining_hop_cnt - 1;
        hdr.int_shim.len = hdr.int_shim.len + 3;
        hdr.ipv4.len = hdr.ipv4.len + 12;
        if (hdr.udp.isValid()) {
            hdr.udp.len = hdr.udp.len + 12;
        }
    }

    /* Sink: the original DSCP back, every INT byte removed. */
    action remove_int() {
        bit<16> int_bytes = ((bit<16>)hdr.int_shim.len) << 2;
        hdr.ipv4.dscp = hdr.int_shim.dscp;
        hdr.ipv4.len = hdr.ipv4.len - int_bytes;
        if (hdr.udp.isValid()) {
            hdr.udp.len = hdr.udp.len - int_bytes;
        }
        hdr.int_shim.setInvalid();
        hdr.int_header.setInvalid();
        hdr.int_switch_id.setInvalid();
        hdr.int_ingress_tstamp.setInvalid();
        hdr.int_egress_tstamp.setInvalid();
        hdr.int_stack.pop_front(32);
    }

    apply {
        port_tx.count((bit<32>)standard_metadata.egress_port);
        meta.l4_len = hdr.ipv4.len - ((bit<16>)hdr.ipv4.ihl << 2);
        if (standard_metadata.instance_type == INSTANCE_TYPE_EGRESS_CLONE) {
            /* The sink's clone becomes the telemetry report (inner packet with INT). */
            int_report.apply();
            if (hdr.report_ipv4.isValid()) {
                bit<32> seq;
                report_seq_no.read(seq, 0);
                report_seq_no.write(0, seq + 1);
                hdr.report_fixed.setValid();
                hdr.report_fixed.ver = 1;
                hdr.report_fixed.len = 4;
                hdr.report_fixed.nproto = 0;
                hdr.report_fixed.rep_md_bits = 0;
                hdr.report_fixed.rsvd = 0;
                hdr.report_fixed.d = 0;
                hdr.report_fixed.q = 0;
                hdr.report_fixed.f = 1;
                hdr.report_fixed.hw_id = 0;
                hdr.report_fixed.switch_id = meta.switch_id;
                hdr.report_fixed.seq_no = seq;
                hdr.report_fixed.ingress_tstamp = standard_metadata.ingress_global_timestamp[31:0];
                hdr.mpls.pop_front(8);
            } else {
                mark_to_drop(standard_metadata);
            }
            return;
        }
        if (meta.recirculate) {
            recirculate_preserving_field_list(0);
            return;
        }
        if (meta.int_source && hdr.ipv4.isValid() && !hdr.int_shim.isValid()) {
            add_int_header();
        }
        if (hdr.int_header.isValid()) {
            int_sink_ports.apply();
            if (hdr.int_header.remaining_hop_cnt == 0) {
                hdr.int_header.e = 1;
            } else {
                add_hop_metadata();
            }
            if (hdr.udp.isValid()) {
                hdr.udp.checksum = 0;  // lengths changed; zero is valid for UDP over IPv4
            }
            if (meta.int_sink) {
                clone_preserving_field_list(CloneType.E2E, REPORT_MIRROR_SESSION, 0);
                remove_int();
                meta.l4_len = hdr.ipv4.len - ((bit<16>)hdr.ipv4.ihl << 2);
            }
        }
    }
}

control ChimaComputeChecksum(inout chima_headers_t hdr, inout chima_metadata_t meta) {
    apply {
        update_checksum(hdr.ipv4.isValid(),
            { hdr.ipv4.version, hdr.ipv4.ihl, hdr.ipv4.dscp, hdr.ipv4.ecn, hdr.ipv4.len,
              hdr.ipv4.identification, hdr.ipv4.flags, hdr.ipv4.frag_offset, hdr.ipv4.ttl,
              hdr.ipv4.protocol, hdr.ipv4.src_addr, hdr.ipv4.dst_addr },
            hdr.ipv4.hdr_checksum, HashAlgorithm.csum16);
        update_checksum(hdr.report_ipv4.isValid(),
            { hdr.report_ipv4.version, hdr.report_ipv4.ihl, hdr.report_ipv4.dscp,
              hdr.report_ipv4.ecn, hdr.report_ipv4.len, hdr.report_ipv4.identification,
              hdr.report_ipv4.flags, hdr.report_ipv4.frag_offset, hdr.report_ipv4.ttl,
              hdr.report_ipv4.protocol, hdr.report_ipv4.src_addr, hdr.report_ipv4.dst_addr },
            hdr.report_ipv4.hdr_checksum, HashAlgorithm.csum16);
        /* TCP: pseudo-header, header and payload (a function may rewrite ports). */
        update_checksum_with_payload(hdr.tcp.isValid() && !hdr.int_shim.isValid(),
            { hdr.ipv4.src_addr, hdr.ipv4.dst_addr, 8w0, hdr.ipv4.protocol,
              meta.l4_len,
              hdr.tcp.src_port, hdr.tcp.dst_port, hdr.tcp.seq_no, hdr.tcp.ack_no,
              hdr.tcp.data_offset, hdr.tcp.res, hdr.tcp.ecn, hdr.tcp.ctrl, hdr.tcp.window,
              hdr.tcp.urgent_ptr },
            hdr.tcp.checksum, HashAlgorithm.csum16);
    }
}

control ChimaDeparser(packet_out packet, in chima_headers_t hdr) {
    apply {
        packet.emit(hdr.report_ethernet);
        packet.emit(hdr.report_ipv4);
        packet.emit(hdr.report_udp);
        packet.emit(hdr.report_fixed);
        packet.emit(hdr.ethernet);
        packet.emit(hdr.mpls);
        packet.emit(hdr.ipv4);
        packet.emit(hdr.tcp);
        packet.emit(hdr.udp);
        packet.emit(hdr.int_shim);
        packet.emit(hdr.int_header);
        packet.emit(hdr.int_switch_id);
        packet.emit(hdr.int_ingress_tstamp);
        packet.emit(hdr.int_egress_tstamp);
        packet.emit(hdr.int_stack);
    }
}

V1Switch(ChimaParser(), ChimaVerifyChecksum(), ChimaIngress(), ChimaEgress(),
         ChimaComputeChecksum(), ChimaDeparser()) main;
