#include "chima/p4rt/bytestring.hpp"

#include "model.hpp"

namespace chima::p4rt::detail {

uint64_t parse_bitstring(const std::string& bytes, int width, const std::string& what) {
    // "Bytestrings": an empty string is always rejected, with OUT_OF_RANGE.
    if (bytes.empty())
        fail(grpc::StatusCode::OUT_OF_RANGE, what + ": empty binary string");
    size_t first = 0;
    while (first < bytes.size() && bytes[first] == '\0')
        ++first;
    if (bytes.size() - first > 8)
        fail(grpc::StatusCode::OUT_OF_RANGE,
             what + ": value does not fit in bit<" + std::to_string(width) + ">");
    uint64_t value = 0;
    for (size_t i = first; i < bytes.size(); ++i)
        value = (value << 8) | static_cast<uint8_t>(bytes[i]);
    // "Bytestrings": a value wider than the field is OUT_OF_RANGE.
    if (value & ~width_mask(width))
        fail(grpc::StatusCode::OUT_OF_RANGE,
             what + ": value does not fit in bit<" + std::to_string(width) + ">");
    return value;
}

std::string canonical_bitstring(uint64_t value) {
    std::string out;
    do {
        out.insert(out.begin(), static_cast<char>(value & 0xff));
        value >>= 8;
    } while (value != 0);
    return out;
}

}  // namespace chima::p4rt::detail
