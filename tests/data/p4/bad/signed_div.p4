// expect: E0410
control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    apply {
        int<8> a = 4;
        int<8> b = a /*^*// 2;
    }
}
