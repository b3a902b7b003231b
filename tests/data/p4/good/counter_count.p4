control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    counter(256, CounterType.packets) c;
    apply {
        c.count((bit<32>)hdr.ipv4.protocol);
    }
}
