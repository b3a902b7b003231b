control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    apply {
        hdr.ipv4.ttl = 255;
        meta.user0 = 0xffff_ffff;
    }
}
