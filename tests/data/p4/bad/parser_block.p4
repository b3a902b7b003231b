// expect: E0312
parser /*^*/p(packet_in b, out headers_t h) { state start { transition accept; } }
control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    apply {
    }
}
