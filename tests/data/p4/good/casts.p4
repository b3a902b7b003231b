control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    apply {
        meta.user0 = (bit<32>)hdr.ipv4.ttl;
        hdr.ipv4.ttl = (bit<8>)meta.user1;
    }
}
