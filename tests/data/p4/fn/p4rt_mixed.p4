// Test function for the P4Runtime entities: a ternary table whose priorities decide, an lpm
// table, a counter the marking action counts into and a register of the last port seen.
control p4rt_mixed(inout headers_t hdr,
                   inout local_metadata_t local_metadata,
                   inout standard_metadata_t standard_metadata) {
    counter(8, CounterType.packets_and_bytes) hits;
    register<bit<16>>(4) last_port;

    action mark(bit<6> dscp, bit<32> cell) {
        hdr.ipv4.dscp = dscp;
        hits.count(cell);
    }
    action deny() {
        mark_to_drop(standard_metadata);
    }
    action set_ttl(bit<8> ttl) {
        hdr.ipv4.ttl = ttl;
    }

    table acl {
        key = {
            hdr.ipv4.dst_addr : ternary;
            local_metadata.l4_dst_port : ternary;
        }
        actions = { mark; deny; NoAction; }
        default_action = NoAction();
        size = 64;
    }

    table by_source {
        key = {
            hdr.ipv4.src_addr : lpm;
        }
        actions = { set_ttl; NoAction; }
        default_action = NoAction();
        size = 16;
    }

    apply {
        if (hdr.ipv4.isValid()) {
            acl.apply();
            by_source.apply();
            last_port.write(0, local_metadata.l4_dst_port);
        }
    }
}
