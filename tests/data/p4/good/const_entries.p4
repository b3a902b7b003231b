control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    action a(bit<8> v) { hdr.ipv4.ttl = v; }
    table t { key = { hdr.ipv4.protocol : ternary; meta.l4_dst_port : exact; }
        actions = { a; }
        const entries = {
            (6, 80) : a(1);
            (0x10 &&& 0xf0, 53) : a(2);
            (_, 22) : a(3);
        }
    }
    apply {
        t.apply();
    }
}
