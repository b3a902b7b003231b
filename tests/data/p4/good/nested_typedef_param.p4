typedef mac_addr_t my_mac_t;
control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    action set_src(my_mac_t m) { hdr.ethernet.src_addr = m; }
    table t { key = { hdr.ethernet.dst_addr : exact; } actions = { set_src; } }
    apply { t.apply(); }
}
