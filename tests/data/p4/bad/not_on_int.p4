// expect: E0401
control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    apply {
        bool b = /*^*/!hdr.ipv4.ttl;
    }
}
