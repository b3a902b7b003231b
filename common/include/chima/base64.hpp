// Base64 (RFC 4648, standard alphabet, padded): BPF objects inside JSON documents (the
// device config a P4Runtime client pushes to chima-agent).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace chima {

std::string base64_encode(std::string_view bytes);
// nullopt for anything that is not padded standard base64 (no whitespace accepted).
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace chima
