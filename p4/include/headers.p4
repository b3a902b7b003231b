/* The function ABI's types (chima_types.p4) and v1model's standard metadata as CHIMA's
 * front end declares it. chima_types.p4 is separate so p4c, which declares
 * standard_metadata_t in its own v1model.p4, can take the types alone (p4/chima.p4
 * includes it after v1model.p4). */
#include "chima_types.p4"

/* v1model standard metadata. A function (on the eBPF switch) may use only ingress_port,
 * egress_spec, egress_port, packet_length and ingress_global_timestamp -- the fields of
 * struct chima_standard_metadata in pipeline.h; chima-compile refuses the others in a
 * function by name. Whole programs (the merged v1model template) see all of them. */
struct standard_metadata_t {
    port_num_t ingress_port;
    port_num_t egress_spec;
    port_num_t egress_port;
    bit<32> instance_type;
    bit<32> packet_length;
    bit<32> enq_timestamp;
    bit<19> enq_qdepth;
    bit<32> deq_timedelta;
    bit<19> deq_qdepth;
    bit<48> ingress_global_timestamp;
    bit<48> egress_global_timestamp;
    bit<16> mcast_grp;
    bit<16> egress_rid;
    bit<1> checksum_error;
    error parser_error;
    bit<3> priority;
}
