// A whole v1model program in the shape chima-compile merges: parser, checksum controls,
// ingress with a forwarding table and an injected function dispatched by function SID,
// egress, deparser and the package instantiation.
#include <core.p4>
#include <v1model.p4>

control changettl_control(inout headers_t hdr, inout local_metadata_t local_metadata,
                          inout standard_metadata_t standard_metadata) {
    apply {
        if (hdr.ipv4.isValid()) {
            hdr.ipv4.ttl = 42;
        }
    }
}

parser ChimaParser(packet_in packet, out headers_t hdr, inout local_metadata_t meta,
                   inout standard_metadata_t standard_metadata) {
    state start {
        transition parse_ethernet;
    }
    state parse_ethernet {
        packet.extract(hdr.ethernet);
        transition select(hdr.ethernet.ether_type) {
            0x0800: parse_ipv4;
            default: accept;
        }
    }
    state parse_ipv4 {
        packet.extract(hdr.ipv4);
        transition select(hdr.ipv4.protocol) {
            6: parse_tcp;
            17: parse_udp;
            default: accept;
        }
    }
    state parse_tcp {
        packet.extract(hdr.tcp);
        meta.l4_src_port = hdr.tcp.src_port;
        meta.l4_dst_port = hdr.tcp.dst_port;
        transition accept;
    }
    state parse_udp {
        packet.extract(hdr.udp);
        meta.l4_src_port = hdr.udp.src_port;
        meta.l4_dst_port = hdr.udp.dst_port;
        transition accept;
    }
}

control ChimaVerifyChecksum(inout headers_t hdr, inout local_metadata_t meta) {
    apply { }
}

control ChimaIngress(inout headers_t hdr, inout local_metadata_t meta,
                     inout standard_metadata_t standard_metadata) {
    changettl_control() fn_changettl;
    action forward(port_num_t port) {
        standard_metadata.egress_spec = port;
    }
    action drop() {
        mark_to_drop(standard_metadata);
    }
    table forwarding {
        key = { hdr.ipv4.dst_addr : lpm; }
        actions = { forward; drop; NoAction; }
        default_action = drop();
        size = 1024;
    }
    apply {
        if (meta.chain_id == 1) {
            fn_changetll.apply(hdr, meta, standard_metadata);
        }
        if (hdr.ipv4.isValid()) {
            forwarding.apply();
        }
    }
}

control ChimaEgress(inout headers_t hdr, inout local_metadata_t meta,
                    inout standard_metadata_t standard_metadata) {
    apply { }
}

control ChimaComputeChecksum(inout headers_t hdr, inout local_metadata_t meta) {
    apply {
        update_checksum(hdr.ipv4.isValid(),
            { hdr.ipv4.version, hdr.ipv4.ihl, hdr.ipv4.dscp, hdr.ipv4.ecn, hdr.ipv4.len,
              hdr.ipv4.identification, hdr.ipv4.flags, hdr.ipv4.frag_offset, hdr.ipv4.ttl,
              hdr.ipv4.protocol, hdr.ipv4.src_addr, hdr.ipv4.dst_addr },
            hdr.ipv4.hdr_checksum, HashAlgorithm.csum16);
    }
}

control ChimaDeparser(packet_out packet, in headers_t hdr) {
    apply {
        packet.emit(hdr.ethernet);
        packet.emit(hdr.ipv4);
        packet.emit(hdr.tcp);
        packet.emit(hdr.udp);
    }
}

V1Switch(ChimaParser(), ChimaVerifyChecksum(), ChimaIngress(), ChimaEgress(),
         ChimaComputeChecksum(), ChimaDeparser()) main;
