// expect: E0404
control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    apply {
        hdr.ipv4.ttl = (bit<8>)hdr.ipv4.dscp/*^*/[6:0];
    }
}
