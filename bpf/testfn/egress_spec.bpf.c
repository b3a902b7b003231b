/* Test function "egress_spec": sets standard_metadata.egress_spec to 3, which must override
 * the port segment routing chose. Written by hand against chima/pipeline.h. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "chima/pipeline.h"

CHIMA_SHARED_MAPS

SEC("tc")
int chima_function(struct __sk_buff* skb) {
    struct chima_packet* pkt = CHIMA_PACKET();
    if (!pkt)
        return TC_ACT_SHOT;
    pkt->std.egress_spec = 3;
    CHIMA_RESUME(skb);
    return TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "GPL";
