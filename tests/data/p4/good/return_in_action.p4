control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    action a() { if (hdr.ipv4.ttl == 0) { return; } hdr.ipv4.ttl = 1; }
    apply {
        a();
    }
}
