// Entry point of the agent tests (tier net): every test here needs root.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "root_test_main.hpp"

REGISTER_LISTENER("chima-skip", 1, chima::test::SkipListener);

int main(int argc, char** argv) {
    return chima::test::run_root_tests(argc, argv);
}
