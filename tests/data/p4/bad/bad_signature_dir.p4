// expect: E0311
control /*^*/f(in headers_t hdr, inout local_metadata_t m, inout standard_metadata_t s) { apply {} }
