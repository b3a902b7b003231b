// The paper's Listing 1: decrement the IPv4 TTL.
control decrement_ttl(
    inout headers_t hdr,
    inout local_metadata_t local_metadata,
    inout standard_metadata_t std_metadata)
{
    apply {
        if (hdr.ipv4.isValid()) {
            hdr.ipv4.ttl = hdr.ipv4.ttl - 1;
        }
    }
}
