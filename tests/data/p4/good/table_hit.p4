control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    table t { key = { meta.user1 : exact; } actions = { NoAction; } }
    apply {
        if (t.apply().hit) { meta.user0 = 1; }
        if (t.apply().miss) { meta.user0 = 2; }
    }
}
