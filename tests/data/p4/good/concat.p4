control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    apply {
        meta.user0 = meta.l4_src_port ++ meta.l4_dst_port;
    }
}
