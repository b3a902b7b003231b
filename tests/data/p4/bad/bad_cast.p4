// expect: E0403
control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    apply {
        int<16> x = /*^*/(int<16>)hdr.ipv4.ttl;
    }
}
