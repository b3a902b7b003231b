// expect: E0409
control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    apply {
        bit<64> x = 0;
        bit<64> y = x /*^*/++ meta.user0;
    }
}
