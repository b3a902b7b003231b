// A token-bucket rate limiter per destination address slot: tokens refill at RATE bytes per
// millisecond up to BURST; a packet with fewer tokens than its length is dropped.
const bit<64> RATE = 125;     // bytes per ms (1 Mbit/s)
const bit<64> BURST = 15000;  // bytes

control rate_limiter(inout headers_t hdr,
                     inout local_metadata_t local_metadata,
                     inout standard_metadata_t standard_metadata) {
    register<bit<64>>(256) tokens;
    register<bit<48>>(256) last_ms;

    apply {
        if (hdr.ipv4.isValid()) {
            bit<32> slot = 24w0 ++ hdr.ipv4.dst_addr[7:0];
            bit<64> have;
            bit<48> then;
            tokens.read(have, slot);
            last_ms.read(then, slot);
            bit<48> now = standard_metadata.ingress_global_timestamp / 1000000;
            bit<64> refill = (16w0 ++ (now - then)) * RATE;
            if (then == 0 || refill > BURST) {
                refill = BURST;
            }
            have = have + refill;
            if (have > BURST) {
                have = BURST;
            }
            bit<64> need = 32w0 ++ standard_metadata.packet_length;
            if (have < need) {
                mark_to_drop(standard_metadata);
            } else {
                have = have - need;
            }
            tokens.write(slot, have);
            last_ms.write(slot, now);
        }
    }
}
