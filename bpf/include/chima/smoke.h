/* Shared by bpf/smoke/smoke.bpf.c and its test: the counter map's value. */
#ifndef CHIMA_SMOKE_H
#define CHIMA_SMOKE_H

#include <linux/types.h>

struct chima_smoke_counter {
    __u64 packets;
    __u64 bytes;
};

#endif
