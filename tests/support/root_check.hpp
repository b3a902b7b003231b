// Root-only test binaries: skip (exit 77) when not root, so ctest reports them as skipped.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace chima::test {

inline void require_root_or_skip() {
    if (::geteuid() != 0) {
        std::fprintf(stderr, "skipped: needs root (CAP_BPF, CAP_NET_ADMIN)\n");
        std::exit(77);
    }
}

}  // namespace chima::test
