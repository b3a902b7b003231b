// Entry point of the agent tests (tier net): every test here needs root. A run whose test cases all
// skipped themselves exits 77, as a run without root does (tests/support/skip.hpp).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "root_check.hpp"
#include "skip.hpp"

REGISTER_LISTENER("chima-skip", 1, chima::test::SkipListener);

int main(int argc, char** argv) {
    doctest::Context ctx(argc, argv);
    // Listing test cases (ctest discovery) works without root.
    bool listing = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a.rfind("--list", 0) == 0 || a.rfind("-ltc", 0) == 0)
            listing = true;
    }
    if (!listing)
        chima::test::require_root_or_skip();
    return chima::test::run_status(ctx.run());
}
