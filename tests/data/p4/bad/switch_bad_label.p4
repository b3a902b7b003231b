// expect: E0501
control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    action a() {}
    table t { key = { meta.user0 : exact; } actions = { NoAction; } }
    apply {
        switch (t.apply().action_run) { /*^*/a: { } }
    }
}
