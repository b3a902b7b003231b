/* Benchmark harness for BPF_PROG_TEST_RUN: a test run repeats the program on ONE skb, so a
 * pipeline that pops labels would see an already popped frame from the second repetition on.
 * bench_restore writes the original frame back before every repetition, then tail-calls the
 * program under test (bench_target[0]). bench_noop as the target measures the harness alone. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#define BENCH_MAX_FRAME 256

struct bench_frame {
    __u32 len;
    __u8 bytes[BENCH_MAX_FRAME];
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct bench_frame);
} bench_frame SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u32);
} bench_target SEC(".maps");

SEC("tc")
int bench_restore(struct __sk_buff* skb) {
    __u32 key = 0;
    struct bench_frame* frame = bpf_map_lookup_elem(&bench_frame, &key);
    if (!frame)
        return TC_ACT_SHOT;
    __u32 len = frame->len;
    if (len < 14 || len > BENCH_MAX_FRAME)
        return TC_ACT_SHOT;
    /* Undo growth where it happened (a push grows at the head: shrink there, or the headroom
     * runs out after a few thousand repetitions); undo a pop by growing the tail. */
    if (skb->len > len) {
        __s32 diff = (__s32)(skb->len - len);
        if (bpf_skb_adjust_room(skb, -diff, BPF_ADJ_ROOM_MAC, 0) &&
            bpf_skb_change_tail(skb, len, 0))
            return TC_ACT_SHOT;
    } else if (skb->len < len && bpf_skb_change_tail(skb, len, 0)) {
        return TC_ACT_SHOT;
    }
    if (bpf_skb_store_bytes(skb, 0, frame->bytes, len, 0))
        return TC_ACT_SHOT;
    bpf_tail_call(skb, &bench_target, 0);
    return TC_ACT_SHOT;
}

SEC("tc")
int bench_noop(struct __sk_buff* skb) {
    (void)skb;
    return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
