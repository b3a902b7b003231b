#include "chima/net/names.hpp"

#include <algorithm>
#include <cctype>

#include "chima/error.hpp"
#include "chima/names.hpp"

namespace chima::net {
// Net and node names follow the one rule of every name (chima/names.hpp).
void check_net_name(const std::string& name) {
    check_name(name, "network name");
}
void check_node_name(const std::string& name) {
    check_name(name, "node name");
}

void check_ifname(const std::string& name) {
    bool ok = !name.empty() && name.size() <= 15 && name != "." && name != ".." &&
              std::none_of(name.begin(), name.end(), [](char c) {
                  return c == '/' || c == ':' || std::isspace(static_cast<unsigned char>(c));
              });
    if (!ok) {
        throw InputError("interface name \"" + name + "\" is not valid",
                         "use 1..15 characters without '/', ':' or spaces");
    }
}

std::string netns_prefix(const std::string& net) {
    return "chima." + net + ".";
}

std::string node_netns(const std::string& net, const std::string& node) {
    return netns_prefix(net) + node;
}

std::string delay_line_netns(const std::string& net, const std::string& node,
                             const std::string& port) {
    return netns_prefix(net) + "dl." + node + "." + port;
}

std::string pin_dir(const std::string& net) {
    return std::string(kPinRoot) + "/" + net;
}

std::string network_name(const std::string& given, const std::string& topology_name) {
    std::string name = given.empty() ? topology_name : given;
    check_net_name(name);
    return name;
}

}  // namespace chima::net
