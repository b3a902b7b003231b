// Entry point of the unit tier. A run whose test cases all skipped themselves (a program or
// a built artifact missing) exits 77: ctest shows it as skipped (tests/support/skip.hpp).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "skip.hpp"

REGISTER_LISTENER("chima-skip", 1, chima::test::SkipListener);

int main(int argc, char** argv) {
    doctest::Context ctx(argc, argv);
    return chima::test::run_status(ctx.run());
}
