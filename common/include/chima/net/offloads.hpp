// Checksum and segmentation offloads off on an interface (what `ethtool -K IF tx off tso off
// gso off gro off` does, by its ioctls, without a process). The switch pipeline moves L4
// headers when it pushes or pops labels, so a checksum the kernel would fill in later would
// land at the wrong offset; every interface a labelled packet crosses needs this.
#pragma once

#include <string>

#include "chima/net/netns.hpp"

namespace chima::net {

// RuntimeError naming the interface and namespace when the kernel refuses.
void disable_offloads(const NetNs& ns, const std::string& ifname);

}  // namespace chima::net
