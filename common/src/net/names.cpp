#include "chima/net/names.hpp"

#include <algorithm>
#include <cctype>

#include "chima/error.hpp"

namespace chima::net {
namespace {

void check_simple_name(const std::string& name, const char* what) {
    bool ok =
        !name.empty() && name.size() <= 32 && std::all_of(name.begin(), name.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
        });
    if (!ok) {
        throw InputError(std::string(what) + " \"" + name + "\" is not valid",
                         "use 1..32 characters from [A-Za-z0-9_-]");
    }
}

}  // namespace

void check_net_name(const std::string& name) {
    check_simple_name(name, "network name");
}
void check_node_name(const std::string& name) {
    check_simple_name(name, "node name");
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
