// expect: E0404
control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    apply {
        meta.user0 = meta.user1/*^*/[meta.user0:0];
    }
}
