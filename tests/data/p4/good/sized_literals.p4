control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    apply {
        hdr.ipv4.dscp = 6w63;
        hdr.ipv4.flags = 3w0b101;
    }
}
