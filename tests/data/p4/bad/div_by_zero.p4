// expect: E0418
control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    apply {
        hdr.ipv4.ttl = hdr.ipv4.ttl / /*^*/0;
    }
}
