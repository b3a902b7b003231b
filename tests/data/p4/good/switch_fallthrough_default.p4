control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    action a() {}
    action b() {}
    table t { key = { meta.user1 : exact; } actions = { a; b; NoAction; } }
    apply {
        switch (t.apply().action_run) {
            a:
            b: { meta.user0 = 1; }
            default: { meta.user0 = 2; }
        }
    }
}
