// expect: E0314
control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    apply {
        /*^*/hash(meta.user0, HashAlgorithm.crc32, 32w0, meta.user1, 32w16);
    }
}
