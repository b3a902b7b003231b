control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    apply {
        if (hdr.ipv4.ttl < 5 || hdr.ipv4.ttl >= 250 || meta.user0 != meta.user1) { mark_to_drop(sm); }
    }
}
