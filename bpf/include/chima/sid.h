/* CHIMA Segment IDs (paper section IV-C), shared by the BPF programs and C++.
 *
 * An MPLS label is 20 bits. Its top 2 bits select the SR Local Block, the low 18 bits are
 * the argument:
 *   01  0x40000-0x7FFFF  run user P4 function <arg> deployed on this switch
 *   10  0x80000-0xBFFFF  adjacency: forward out of port <arg> (penultimate hop popping)
 *   11  0xC0000          forward INT data to the attached host (a container function starts)
 *       0xC0001-0xFFFFF  end of container function <arg>'s execution
 *   00  0x00000-0x3FFFF  not used by CHIMA (reserved MPLS labels live here)
 */
#ifndef CHIMA_SID_H
#define CHIMA_SID_H

#define CHIMA_LABEL_BITS 20
#define CHIMA_SID_ARG_BITS 18
#define CHIMA_SID_ARG_MASK 0x3FFFFu
#define CHIMA_SID_BLOCK_SHIFT 18

#define CHIMA_SID_BLOCK_RESERVED 0u
#define CHIMA_SID_BLOCK_FUNCTION 1u
#define CHIMA_SID_BLOCK_ADJACENCY 2u
#define CHIMA_SID_BLOCK_INT 3u

#define CHIMA_SID_FUNCTION_BASE 0x40000u
#define CHIMA_SID_ADJACENCY_BASE 0x80000u
#define CHIMA_SID_INT_TO_HOST 0xC0000u
#define CHIMA_SID_INT_BASE 0xC0000u

/* Largest argument in a block (2^18 - 1). */
#define CHIMA_SID_ARG_MAX 0x3FFFFu

/* Deepest label stack a client pushes and a switch parses. */
#define CHIMA_MAX_LABELS 8

static inline unsigned int chima_sid_block(unsigned int label) {
    return (label >> CHIMA_SID_BLOCK_SHIFT) & 0x3u;
}

static inline unsigned int chima_sid_arg(unsigned int label) {
    return label & CHIMA_SID_ARG_MASK;
}

#endif /* CHIMA_SID_H */
