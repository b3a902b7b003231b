// The exact forwarding entries of a switch, from the compact form a deployment stores.
#include "chima/model/deployment.hpp"

namespace chima {

std::vector<ForwardingEntry> forwarding_entries(const std::string& sw,
                                                const std::vector<NetEndpoint>& endpoints,
                                                const NextPortTable& next) {
    std::vector<ForwardingEntry> out;
    auto row = next.find(sw);
    for (const auto& e : endpoints) {
        uint32_t port = 0;
        if (e.sw == sw) {
            port = e.port;
        } else if (row != next.end()) {
            auto it = row->second.find(e.sw);
            if (it != row->second.end())
                port = it->second;
        }
        if (port)
            out.push_back({sw, e.name, e.mac, e.ip, port});
    }
    return out;
}

}  // namespace chima
