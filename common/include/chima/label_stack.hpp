// LabelStack: the SR-MPLS label stack a client pushes for one flow (at most 8 entries).
#pragma once

#include <cstdint>
#include <vector>

#include "chima/segment_id.hpp"

namespace chima {

class LabelStack {
public:
    static constexpr size_t kMaxDepth = CHIMA_MAX_LABELS;

    LabelStack() = default;

    // Appends a segment below the current ones; InputError past kMaxDepth.
    void push_back(const SegmentId& sid);

    const std::vector<SegmentId>& segments() const { return segments_; }
    size_t size() const { return segments_.size(); }
    bool empty() const { return segments_.empty(); }

    // RFC 3032 wire encoding, top of stack first: label(20) TC(3) S(1) TTL(8), S set on the
    // last entry.
    std::vector<uint8_t> encode(uint8_t ttl = 64, uint8_t tc = 0) const;

    // Decodes label stack entries (stops at S=1); InputError when truncated, too deep or
    // holding a label outside CHIMA's blocks.
    static LabelStack decode(const uint8_t* data, size_t len);

    bool operator==(const LabelStack&) const = default;

private:
    std::vector<SegmentId> segments_;
};

}  // namespace chima
