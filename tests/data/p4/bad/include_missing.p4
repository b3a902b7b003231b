// expect: E0111
/*^*/#include "nope.p4"
control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    apply {
    }
}
