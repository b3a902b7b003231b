control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    register<bit<32>>(16) r;
    apply {
        bit<32> v;
        r.read(v, 3);
        r.write(3, v + 1);
    }
}
