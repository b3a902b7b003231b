// Whole-program constructs the merged template uses: header stacks (next/last/index/pop_front),
// lookahead in select, verify, error values, clone3, hash with a list, full standard metadata.
#include <core.p4>
#include <v1model.p4>
header mpls_t { bit<20> label; bit<3> tc; bit<1> bos; bit<8> ttl; }
struct my_headers_t { ethernet_t ethernet; mpls_t[8] mpls; ipv4_t ipv4; }
struct my_meta_t { bit<8> n; }
parser P(packet_in packet, out my_headers_t hdr, inout my_meta_t meta, inout standard_metadata_t sm) {
    state start { packet.extract(hdr.ethernet); transition select(hdr.ethernet.ether_type) { 0x8847: parse_mpls; default: accept; } }
    state parse_mpls {
        packet.extract(hdr.mpls.next);
        transition select(hdr.mpls.last.bos) { 1: parse_ip; default: parse_mpls; }
    }
    state parse_ip {
        transition select(packet.lookahead<bit<4>>()) { 4: ip4; default: accept; }
    }
    state ip4 { packet.extract(hdr.ipv4); verify(hdr.ipv4.ihl >= 5, error.HeaderTooShort); transition accept; }
}
control I(inout my_headers_t hdr, inout my_meta_t meta, inout standard_metadata_t sm) {
    register<bit<48>>(8) ts;
    apply {
        if (hdr.mpls[0].isValid()) {
            hdr.mpls[0].ttl = hdr.mpls[0].ttl - 1;
            hdr.mpls.pop_front(1);
        }
        ts.write(0, sm.egress_global_timestamp);
        meta.n = (bit<8>)sm.deq_qdepth[7:0];
        clone3(CloneType.I2E, 500, sm);
        bit<32> r;
        hash(r, HashAlgorithm.crc32, 32w0, { hdr.ipv4.src_addr, hdr.ipv4.dst_addr }, 32w1024);
    }
}
control E(inout my_headers_t hdr, inout my_meta_t meta, inout standard_metadata_t sm) { apply { } }
control V(inout my_headers_t hdr, inout my_meta_t meta) { apply { verify_checksum(true, { hdr.ipv4.src_addr }, hdr.ipv4.hdr_checksum, HashAlgorithm.csum16); } }
control C(inout my_headers_t hdr, inout my_meta_t meta) { apply { } }
control D(packet_out packet, in my_headers_t hdr) { apply { packet.emit(hdr.ethernet); packet.emit(hdr.mpls); packet.emit(hdr.ipv4); } }
V1Switch(P(), V(), I(), E(), C(), D()) main;
