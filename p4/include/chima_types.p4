/* The types of a CHIMA function's signature (DESIGN.md section 7):
 *   control f(inout headers_t hdr, inout local_metadata_t local_metadata,
 *             inout standard_metadata_t standard_metadata)
 * Field names follow ONOS basic.p4; names and widths match bpf/include/chima/pipeline.h,
 * which is what a function slot sees on the eBPF switch. */

typedef bit<48> mac_addr_t;
typedef bit<32> ipv4_addr_t;
typedef bit<9> port_num_t;

header ethernet_t {
    mac_addr_t dst_addr;
    mac_addr_t src_addr;
    bit<16> ether_type;
}

header ipv4_t {
    bit<4> version;
    bit<4> ihl;
    bit<6> dscp;
    bit<2> ecn;
    bit<16> len;
    bit<16> identification;
    bit<3> flags;
    bit<13> frag_offset;
    bit<8> ttl;
    bit<8> protocol;
    bit<16> hdr_checksum;
    ipv4_addr_t src_addr;
    ipv4_addr_t dst_addr;
}

header tcp_t {
    bit<16> src_port;
    bit<16> dst_port;
    bit<32> seq_no;
    bit<32> ack_no;
    bit<4> data_offset;
    bit<3> res;
    bit<3> ecn;
    bit<6> ctrl;
    bit<16> window;
    bit<16> checksum;
    bit<16> urgent_ptr;
}

header udp_t {
    bit<16> src_port;
    bit<16> dst_port;
    bit<16> len;
    bit<16> checksum;
}

struct headers_t {
    ethernet_t ethernet;
    ipv4_t ipv4;
    tcp_t tcp;
    udp_t udp;
}

/* What a function may read and write besides headers. */
struct local_metadata_t {
    bit<16> l4_src_port;
    bit<16> l4_dst_port;
    bit<32> chain_id;
    bit<32> user0;
    bit<32> user1;
}
