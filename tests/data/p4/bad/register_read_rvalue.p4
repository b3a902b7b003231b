// expect: E0406
control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    register<bit<32>>(4) r;
    apply {
        r.read(/*^*/meta.user0 + 1, 0);
    }
}
