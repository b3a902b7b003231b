control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    action drop() { mark_to_drop(sm); }
    table t { key = { hdr.ipv4.src_addr : ternary; hdr.ipv4.protocol : exact; } actions = { drop; NoAction; } }
    apply {
        t.apply();
    }
}
