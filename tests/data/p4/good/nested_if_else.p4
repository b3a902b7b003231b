control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    apply {
        if (hdr.tcp.isValid()) { meta.user0 = 1; } else if (hdr.udp.isValid()) { meta.user0 = 2; } else { meta.user0 = 3; }
    }
}
