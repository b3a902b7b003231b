control decrement_ttl(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    apply {
        if (hdr.ipv4.isValid()) {
            hdr.ipv4.ttl = hdr.ipv4.ttl - 1;
        }
    }
}
