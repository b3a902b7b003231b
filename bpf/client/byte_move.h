/* Moving the bytes of an skb that follow an offset up or down, in chunks under bpf_loop().
 *
 * Why not bpf_skb_adjust_room(BPF_ADJ_ROOM_NET) and move the L4 header instead: that helper
 * opens or closes the gap in front of the L4 header by moving everything before it, and
 * the kernel keeps the transport header and csum_start where they were. A CHECKSUM_PARTIAL
 * skb (what a socket sends through a veth) would then have its checksum finished at the
 * wrong offset, inside the INT bytes. Moving the payload instead leaves every header where
 * the kernel expects it; the cost grows with the payload, one load/store per chunk. */
#ifndef CHIMA_CLIENT_BYTE_MOVE_H
#define CHIMA_CLIENT_BYTE_MOVE_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define CHIMA_CLIENT_MOVE_CHUNK 128

struct chima_client_move {
    struct __sk_buff* skb;
    __u32 from;   /* first byte to move */
    __u32 to;     /* where it goes */
    __u32 length; /* bytes to move */
    __u32 done;
    int err;
};

/* Copies `n` bytes of the chunk that starts `at` bytes into the range. */
static __always_inline int chima_client_copy(struct chima_client_move* m, __u8* buf, __u32 at,
                                             __u32 n) {
    return bpf_skb_load_bytes(m->skb, m->from + at, buf, n) ||
           bpf_skb_store_bytes(m->skb, m->to + at, buf, n, 0);
}

/* One chunk. Moving up (to > from) goes from the end so no byte is overwritten before it
 * was read; moving down goes from the start. A full chunk and the last, shorter one are
 * separate calls so the verifier sees a bounded size in each. */
static long chima_client_move_chunk(__u32 index, void* arg) {
    struct chima_client_move* m = arg;
    __u8 buf[CHIMA_CLIENT_MOVE_CHUNK];
    (void)index;
    if (m->done >= m->length)
        return 1;
    __u32 left = m->length - m->done;
    int up = m->to > m->from;
    if (left >= CHIMA_CLIENT_MOVE_CHUNK) {
        __u32 at = up ? left - CHIMA_CLIENT_MOVE_CHUNK : m->done;
        if (chima_client_copy(m, buf, at, CHIMA_CLIENT_MOVE_CHUNK)) {
            m->err = 1;
            return 1;
        }
        m->done += CHIMA_CLIENT_MOVE_CHUNK;
        return 0;
    }
    __u32 n = left;
    /* hide that n == left here, or clang drops the mask the verifier needs to see */
    asm volatile("" : "+r"(n));
    n &= CHIMA_CLIENT_MOVE_CHUNK - 1;
    if (n == 0)
        return 1;
    if (chima_client_copy(m, buf, up ? 0 : m->done, n)) {
        m->err = 1;
        return 1;
    }
    m->done += n;
    return 0;
}

/* Moves [from, from + length) to `to`; both ranges must lie inside the skb. */
static __always_inline int chima_client_move_bytes(struct __sk_buff* skb, __u32 from, __u32 to,
                                                   __u32 length) {
    struct chima_client_move m = {.skb = skb, .from = from, .to = to, .length = length};
    if (length == 0 || from == to)
        return 0;
    bpf_loop(length / CHIMA_CLIENT_MOVE_CHUNK + 1, chima_client_move_chunk, &m, 0);
    return m.err || m.done != m.length ? -1 : 0;
}

#endif /* CHIMA_CLIENT_BYTE_MOVE_H */
