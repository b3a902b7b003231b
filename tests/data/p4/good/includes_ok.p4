#include <core.p4>
#include <v1model.p4>
control f(inout headers_t hdr, inout local_metadata_t meta, inout standard_metadata_t sm) {
    apply {
        hdr.ipv4.ttl = 1;
    }
}
