// Base64 (RFC 4648, standard alphabet, padded), for binary blobs inside JSON documents
// (the BPF objects of a P4Runtime device config).
#pragma once

#include <string>
#include <string_view>

namespace chima {

std::string base64_encode(std::string_view bytes);

// InputError naming `what` for a character outside the alphabet or a bad length/padding.
std::string base64_decode(std::string_view text, const std::string& what);

}  // namespace chima
