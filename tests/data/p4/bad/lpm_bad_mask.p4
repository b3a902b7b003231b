// expect: E0506
control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    table t { key = { meta.user0 : lpm; } actions = { NoAction; }
        const entries = { 1 &&& /*^*/0xff00ff00 : NoAction(); } }
    apply {
    }
}
