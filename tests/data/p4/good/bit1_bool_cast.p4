control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    apply {
        bit<1> b = (bit<1>)hdr.tcp.isValid();
        if ((bool)b) { meta.user0 = 1; }
    }
}
