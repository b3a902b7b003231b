// expect: E0400
control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    register<bit<32>>(4) r;
    apply {
        bit<16> v;
        r.read(/*^*/v, 0);
    }
}
