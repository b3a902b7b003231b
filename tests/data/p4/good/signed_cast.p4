control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    apply {
        int<8> x = (int<8>)hdr.ipv4.ttl;
        int<16> y = (int<16>)x;
        meta.l4_src_port = (bit<16>)y;
    }
}
