control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    apply {
        if (hdr.ipv4.flags & 3w2 == 3w2) { meta.user0 = 1; }
    }
}
