#include "chima/net/offloads.hpp"

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cstdio>

#include "chima/unique_fd.hpp"
#include "chima/error.hpp"

namespace chima::net {

void disable_offloads(const NetNs& ns, const std::string& ifname) {
    // From a thread inside the namespace: the ioctl acts on the socket's namespace.
    ns.run([&] {
        UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        if (!sock)
            throw_errno("socket for ethtool in " + ns.name());
        for (uint32_t cmd : {ETHTOOL_STXCSUM, ETHTOOL_STSO, ETHTOOL_SGSO, ETHTOOL_SGRO}) {
            ethtool_value value{cmd, 0};
            ifreq req{};
            std::snprintf(req.ifr_name, sizeof req.ifr_name, "%s", ifname.c_str());
            req.ifr_data = reinterpret_cast<char*>(&value);
            if (::ioctl(sock.get(), SIOCETHTOOL, &req) != 0)
                throw_errno("ethtool offloads off on " + ifname + " in " + ns.name());
        }
    });
}

}  // namespace chima::net
