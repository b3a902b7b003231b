control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    action a() {}
    table t { key = { meta.user1 : exact; } actions = { a; NoAction; } }
    apply {
        switch (t.apply().action_run) {
            a: { meta.user0 = 1; }
            NoAction: { meta.user0 = 2; }
        }
    }
}
