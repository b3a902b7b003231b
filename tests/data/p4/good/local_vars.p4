control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    apply {
        bit<16> a = 5;
        bit<16> b;
        b = a + 1;
        meta.l4_dst_port = b;
    }
}
