// expect: E0310
control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    apply {
    }
}
control /*^*/g(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    apply {
    }
}
