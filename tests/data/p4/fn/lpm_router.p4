// Test function for lpm tables: choose the egress port by longest prefix of (protocol exact,
// destination lpm).
control lpm_router(inout headers_t hdr,
                   inout local_metadata_t local_metadata,
                   inout standard_metadata_t standard_metadata) {
    action to_port(bit<9> port) {
        standard_metadata.egress_spec = port;
    }

    table routes {
        key = {
            hdr.ipv4.dst_addr : lpm;
            hdr.ipv4.protocol : exact;
        }
        actions = { to_port; NoAction; }
        default_action = to_port(9w99);
        size = 1024;
    }

    apply {
        switch (routes.apply().action_run) {
            to_port: {
                local_metadata.user1 = 1;
            }
            default: {
                local_metadata.user1 = 2;
            }
        }
    }
}
