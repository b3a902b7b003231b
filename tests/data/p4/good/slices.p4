control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    apply {
        hdr.ipv4.ecn = hdr.ipv4.dscp[1:0];
        meta.user0[7:0] = hdr.ipv4.ttl;
    }
}
