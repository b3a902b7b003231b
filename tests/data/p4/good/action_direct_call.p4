control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    action set(bit<8> v) { hdr.ipv4.ttl = v; }
    apply {
        set(7);
    }
}
