// expect: E0313
header /*^*/my_h { bit<8> x; }
control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    apply {
    }
}
