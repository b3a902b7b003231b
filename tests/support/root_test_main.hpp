// The main() of a doctest binary whose tests all need root (the bpf tier, the agent tests):
// without root it exits 77 (ctest: skipped), listing tests (ctest discovery) works without
// root, and a run whose test cases all skipped themselves exits 77 too (skip.hpp).
#pragma once

#include <string>

#include <doctest/doctest.h>

#include "root_check.hpp"
#include "skip.hpp"

namespace chima::test {

inline int run_root_tests(int argc, char** argv) {
    doctest::Context ctx(argc, argv);
    bool listing = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a.rfind("--list", 0) == 0 || a.rfind("-ltc", 0) == 0)
            listing = true;
    }
    if (!listing)
        require_root_or_skip();
    return run_status(ctx.run());
}

}  // namespace chima::test
