control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    apply {
        hdr.udp.setInvalid();
        hdr.tcp.setValid();
    }
}
