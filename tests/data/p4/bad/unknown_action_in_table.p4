// expect: E0300
control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    table t { key = { meta.user0 : exact; } actions = { /*^*/nope; } }
    apply {
    }
}
