/* INT hook of the segment evaluation: labels of the INT block (0xC0000 = hand INT data to the
 * attached host, 0xC0001.. = container function <arg> finished).
 *
 * Reserved for issue #6 (INT source/transit/sink and container-function timing). Until then
 * the pipeline parses these SIDs, calls this hook and pops them like any evaluated segment,
 * so stacks that already carry them forward correctly. */
#ifndef CHIMA_SWITCH_INT_HOOK_H
#define CHIMA_SWITCH_INT_HOOK_H

#include "chima/pipeline.h"

static __always_inline void chima_int_segment(struct chima_packet* pkt, __u32 label) {
    (void)pkt;
    (void)label;
}

#endif /* CHIMA_SWITCH_INT_HOOK_H */
