// A per-flow packet counter: flows hash into register slots by a fold of the 5-tuple;
// local_metadata.user0 carries the flow's count so far to the next function.
control flow_counter(inout headers_t hdr,
                     inout local_metadata_t local_metadata,
                     inout standard_metadata_t standard_metadata) {
    register<bit<32>>(1024) packets;

    apply {
        if (hdr.ipv4.isValid()) {
            bit<32> h = hdr.ipv4.src_addr ^ hdr.ipv4.dst_addr ^
                        (local_metadata.l4_src_port ++ local_metadata.l4_dst_port) ^
                        (24w0 ++ hdr.ipv4.protocol);
            bit<32> slot = (bit<32>)(h[9:0] ^ h[19:10] ^ h[29:20]);
            bit<32> count;
            packets.read(count, slot);
            count = count + 1;
            packets.write(slot, count);
            local_metadata.user0 = count;
        }
    }
}
