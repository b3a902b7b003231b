// A 5-tuple firewall: a ternary ACL over (src, dst, protocol, l4 ports); the highest
// priority matching entry decides; packets that match nothing pass.
control firewall(inout headers_t hdr,
                 inout local_metadata_t local_metadata,
                 inout standard_metadata_t standard_metadata) {
    action deny() {
        mark_to_drop(standard_metadata);
    }
    action allow() {}

    table acl {
        key = {
            hdr.ipv4.src_addr : ternary;
            hdr.ipv4.dst_addr : ternary;
            hdr.ipv4.protocol : ternary;
            local_metadata.l4_src_port : ternary;
            local_metadata.l4_dst_port : ternary;
        }
        actions = { deny; allow; }
        default_action = allow();
        size = 4096;
    }

    apply {
        if (hdr.ipv4.isValid()) {
            acl.apply();
        }
    }
}
