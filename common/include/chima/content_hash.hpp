// FNV-1a 64: content fingerprints and cache keys (deployment ids, artifact hashes). Fast and
// stable across runs and hosts; not a security property.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace chima {

inline constexpr uint64_t kFnv1aOffset = 1469598103934665603ull;
inline constexpr uint64_t kFnv1aPrime = 1099511628211ull;

// Continues the hash `h` over `bytes` (pass a previous result to hash in parts).
constexpr uint64_t fnv1a(std::string_view bytes, uint64_t h = kFnv1aOffset) {
    for (unsigned char c : bytes) {
        h ^= c;
        h *= kFnv1aPrime;
    }
    return h;
}

// 16 lower-case hex digits.
inline std::string fnv1a_hex(std::string_view bytes) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(fnv1a(bytes)));
    return buf;
}

}  // namespace chima
