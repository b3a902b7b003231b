// expect: E0311
control /*^*/f(inout headers_t hdr) { apply {} }
