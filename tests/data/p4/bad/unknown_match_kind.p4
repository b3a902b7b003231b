// expect: E0502
control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    table t { key = { meta.user0 : /*^*/range; } actions = { NoAction; } }
    apply {
    }
}
