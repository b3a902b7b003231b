control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    apply {
        if (!hdr.ipv4.isValid()) { exit; }
        hdr.ipv4.ttl = 1;
    }
}
