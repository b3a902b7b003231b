// Linux capabilities by name, for the least privilege of container functions: a function
// declares the few it needs (service.yaml `capabilities:`), every other one is dropped.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chima {

// The capability's number (CAP_NET_RAW = 13) from its name, with or without the "CAP_"
// prefix, in any case ("net_raw", "CAP_NET_RAW"); nullopt for a name Linux does not have.
std::optional<int> capability_number(std::string_view name);

// The canonical name, "NET_RAW" (what podman's --cap-add takes after "CAP_").
std::string capability_name(int number);

// Every capability this build knows, in number order (for messages and for dropping all
// others).
const std::vector<std::string>& capability_names();

}  // namespace chima
