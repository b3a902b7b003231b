/* INT hook of the segment evaluation: labels of the INT block (0xC0000 = hand INT data to the
 * attached host, 0xC0001.. = container function <arg> finished). The hook only records what
 * it saw; this hop's metadata (bpf/switch/int_stack.h) reports the function id, and the
 * sink decision reads the "to host" mark. */
#ifndef CHIMA_SWITCH_INT_HOOK_H
#define CHIMA_SWITCH_INT_HOOK_H

#include "chima/pipeline.h"
#include "int_stack.h"

static __always_inline void chima_int_segment(struct chima_packet* pkt, __u32 label) {
    chima_int_mark(pkt, label);
}

#endif /* CHIMA_SWITCH_INT_HOOK_H */
