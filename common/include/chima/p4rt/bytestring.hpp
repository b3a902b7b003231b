// P4Runtime binary strings (section "Bytestrings"): big-endian, any length on input as long
// as the value fits the field's width, the shortest string on output.
#pragma once

#include <cstdint>
#include <string>

namespace chima::p4rt::detail {

// The value of `bytes` for a bit<width> field (width <= 64). P4rtError(OUT_OF_RANGE) for an
// empty string or a value wider than the field ("Bytestrings": the server rejects both).
uint64_t parse_bitstring(const std::string& bytes, int width, const std::string& what);

// The canonical (shortest) string of `value`: "\x00" for 0.
std::string canonical_bitstring(uint64_t value);

// All ones in the low `width` bits.
inline uint64_t width_mask(int width) {
    return width >= 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1;
}

}  // namespace chima::p4rt::detail
