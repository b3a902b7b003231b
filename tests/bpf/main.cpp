// Entry point of the BPF tier: every test here needs root.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "root_check.hpp"

int main(int argc, char** argv) {
    doctest::Context ctx(argc, argv);
    // Listing test cases (ctest discovery) works without root.
    bool listing = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a.rfind("--list", 0) == 0 || a.rfind("-ltc", 0) == 0) listing = true;
    }
    if (!listing) chima::test::require_root_or_skip();
    return ctx.run();
}
