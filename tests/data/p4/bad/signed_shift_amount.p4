// expect: E0407
control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    apply {
        int<8> s = 1;
        meta.user0 = meta.user0 << /*^*/s;
    }
}
