// expect: E0301
control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    apply {
        bit<8> x;
        bit<8> /*^*/x;
    }
}
