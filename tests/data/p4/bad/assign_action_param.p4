// expect: E0406
control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    action a(bit<8> v) { /*^*/v = 2; }
    apply {
        a(1);
    }
}
