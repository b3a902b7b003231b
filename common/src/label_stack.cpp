#include "chima/label_stack.hpp"

#include "chima/error.hpp"

namespace chima {

void LabelStack::push_back(const SegmentId& sid) {
    if (segments_.size() >= kMaxDepth) {
        throw InputError("label stack deeper than " + std::to_string(kMaxDepth) + " entries");
    }
    segments_.push_back(sid);
}

std::vector<uint8_t> LabelStack::encode(uint8_t ttl, uint8_t tc) const {
    std::vector<uint8_t> out;
    out.reserve(segments_.size() * 4);
    for (size_t i = 0; i < segments_.size(); ++i) {
        uint32_t bos = (i + 1 == segments_.size()) ? 1u : 0u;
        uint32_t word = (segments_[i].label() << 12) | ((tc & 0x7u) << 9) | (bos << 8) | ttl;
        out.push_back(static_cast<uint8_t>(word >> 24));
        out.push_back(static_cast<uint8_t>(word >> 16));
        out.push_back(static_cast<uint8_t>(word >> 8));
        out.push_back(static_cast<uint8_t>(word));
    }
    return out;
}

LabelStack LabelStack::decode(const uint8_t* data, size_t len) {
    LabelStack stack;
    for (size_t off = 0;; off += 4) {
        if (off + 4 > len) throw InputError("label stack truncated (no bottom-of-stack entry)");
        uint32_t word = (uint32_t(data[off]) << 24) | (uint32_t(data[off + 1]) << 16) |
                        (uint32_t(data[off + 2]) << 8) | data[off + 3];
        stack.push_back(SegmentId::decode(word >> 12));
        if (word & 0x100u) break;
    }
    return stack;
}

}  // namespace chima
