@name("x")
control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    @name(".a") action a() {}
    table t { key = { meta.user0 : exact @name("k"); } actions = { @defaultonly a; } }
    apply {
        t.apply();
    }
}
