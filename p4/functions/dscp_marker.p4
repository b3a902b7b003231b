// A DSCP marker: an exact table on (destination, protocol) sets the DSCP code point.
control dscp_marker(inout headers_t hdr,
                    inout local_metadata_t local_metadata,
                    inout standard_metadata_t standard_metadata) {
    action set_dscp(bit<6> dscp) {
        hdr.ipv4.dscp = dscp;
    }

    table marks {
        key = {
            hdr.ipv4.dst_addr : exact;
            hdr.ipv4.protocol : exact;
        }
        actions = { set_dscp; NoAction; }
        default_action = NoAction();
        size = 1024;
    }

    apply {
        if (hdr.ipv4.isValid()) {
            marks.apply();
        }
    }
}
