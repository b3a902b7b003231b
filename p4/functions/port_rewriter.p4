// An L4 port rewriter: an exact table on the destination port rewrites it (TCP or UDP);
// the pipeline fixes the L4 checksum on deparse.
control port_rewriter(inout headers_t hdr,
                      inout local_metadata_t local_metadata,
                      inout standard_metadata_t standard_metadata) {
    action rewrite(bit<16> port) {
        if (hdr.tcp.isValid()) {
            hdr.tcp.dst_port = port;
        }
        if (hdr.udp.isValid()) {
            hdr.udp.dst_port = port;
        }
        local_metadata.l4_dst_port = port;
    }

    table ports {
        key = {
            hdr.ipv4.protocol : exact;
            local_metadata.l4_dst_port : exact;
        }
        actions = { rewrite; NoAction; }
        default_action = NoAction();
        size = 256;
    }

    apply {
        if (hdr.ipv4.isValid()) {
            ports.apply();
        }
    }
}
