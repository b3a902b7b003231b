control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    action a(bit<8> v) { hdr.ipv4.ttl = v; }
    table t { key = { hdr.ipv4.dst_addr : exact; } actions = { a; NoAction; } default_action = NoAction(); size = 64; }
    apply {
        t.apply();
    }
}
