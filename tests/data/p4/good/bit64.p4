control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    apply {
        bit<64> x = 64w0xffff_ffff_ffff_ffff;
        x = x + 1;
        meta.user0 = x[63:32];
    }
}
