control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    apply {
        const bit<8> T = 9;
        hdr.ipv4.ttl = T;
    }
}
