control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    action port(bit<9> p) { sm.egress_spec = p; }
    table t { key = { hdr.ipv4.dst_addr : lpm; } actions = { port; } default_action = port(1); }
    apply {
        t.apply();
    }
}
