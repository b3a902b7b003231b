// INT v1.0 bytes as the tests expect them on the wire (protocols.md): shim + metadata
// header + hop stack, newest hop first, built byte by byte independently of the code under
// test. Shared by the switch, host-client and report tests.
#pragma once

#include <cstdint>
#include <vector>

#include "packet.hpp"

namespace chima::test {

struct IntHop {
    uint32_t switch_id;
    uint32_t ingress_ts;
    uint32_t egress_ts;
};

inline uint32_t read32(const Bytes& b, size_t off) {
    return (uint32_t(b.at(off)) << 24) | (uint32_t(b.at(off + 1)) << 16) |
           (uint32_t(b.at(off + 2)) << 8) | b.at(off + 3);
}

// Shim (type 1, length in words, original DSCP << 2) + md header (version 1, E bit, hop ML
// 3, remaining hops, instructions 0x8C00) + the hops.
inline Bytes int_header(uint8_t original_dscp, uint8_t remaining, const std::vector<IntHop>& hops,
                        bool exceeded = false) {
    Bytes b{1, 0, static_cast<uint8_t>(3 + 3 * hops.size()),
            static_cast<uint8_t>(original_dscp << 2)};
    append32(b, (1u << 28) | (exceeded ? 1u << 24 : 0u) | (3u << 8) | remaining);
    append32(b, 0x8C000000u);
    for (const IntHop& h : hops) {
        append32(b, h.switch_id);
        append32(b, h.ingress_ts);
        append32(b, h.egress_ts);
    }
    return b;
}

}  // namespace chima::test
