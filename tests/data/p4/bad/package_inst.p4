// expect: E0313
control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    apply {
    }
}
V1Switch(p(), v(), i(), e(), c(), d()) /*^*/main;
