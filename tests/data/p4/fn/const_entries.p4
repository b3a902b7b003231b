// Test function for const entries: a ternary table whose entries live in the program.
control const_entries(inout headers_t hdr,
                      inout local_metadata_t local_metadata,
                      inout standard_metadata_t standard_metadata) {
    action set_user(bit<32> v) {
        local_metadata.user0 = v;
    }

    table classify {
        key = {
            hdr.ipv4.protocol : ternary;
            local_metadata.l4_dst_port : ternary;
        }
        actions = { set_user; NoAction; }
        const entries = {
            (6, 80) : set_user(1);
            (6, _) : set_user(2);
            (0x10 &&& 0xf0, _) : set_user(3);
            (_, _) : set_user(4);
        }
    }

    apply {
        classify.apply();
    }
}
