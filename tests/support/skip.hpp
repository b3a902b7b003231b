// Test cases that cannot run here -- a program, a built artifact or a second CPU missing --
// are reported as skipped, not passed: the case calls skip_test_case() (or
// skip_without_dependency()) and returns; when every test case of a run skipped itself, the
// binary exits 77, which ctest (SKIP_RETURN_CODE 77, one test case per process) shows as
// skipped. Under CI (CI=true) what scripts/setup.sh installs must be present: its absence
// fails the test case instead.
//
// Each test binary's main() registers SkipListener and returns run_status(ctx.run()).
#pragma once

#include <doctest/doctest.h>

#include <cstdlib>
#include <string>
#include <string_view>

namespace chima::test {

struct SkipCounts {
    int started = 0;
    int skipped = 0;
    bool current_skipped = false;
};

inline SkipCounts& skip_counts() {
    static SkipCounts counts;
    return counts;
}

inline bool in_ci() {
    const char* ci = std::getenv("CI");
    return ci != nullptr && std::string_view(ci) == "true";
}

// Marks the running test case as skipped; the caller returns right after.
inline void skip_test_case(const std::string& why) {
    MESSAGE("skipped: " << why);
    skip_counts().current_skipped = true;
}

// For a dependency that scripts/setup.sh installs (or the build makes): true when the caller
// must return -- skipped outside CI, failed under CI.
[[nodiscard]] inline bool skip_without_dependency(bool present, const std::string& what) {
    if (present)
        return false;
    if (in_ci()) {
        FAIL_CHECK(what << " is missing, and CI has it (scripts/setup.sh, scripts/build.sh)");
        return true;
    }
    skip_test_case(what + " is missing");
    return true;
}

// 77 when the run passed and every test case in it skipped itself, else doctest's status.
inline int run_status(int doctest_status) {
    const SkipCounts& c = skip_counts();
    if (doctest_status == 0 && c.started > 0 && c.skipped == c.started)
        return 77;
    return doctest_status;
}

// Counts the test cases run and those that skipped themselves (for run_status).
struct SkipListener : doctest::IReporter {
    explicit SkipListener(const doctest::ContextOptions&) {}
    void report_query(const doctest::QueryData&) override {}
    void test_run_start() override {}
    void test_run_end(const doctest::TestRunStats&) override {}
    void test_case_start(const doctest::TestCaseData&) override {
        ++skip_counts().started;
        skip_counts().current_skipped = false;
    }
    void test_case_reenter(const doctest::TestCaseData&) override {}
    void test_case_end(const doctest::CurrentTestCaseStats&) override {
        if (skip_counts().current_skipped)
            ++skip_counts().skipped;
        skip_counts().current_skipped = false;
    }
    void test_case_exception(const doctest::TestCaseException&) override {}
    void subcase_start(const doctest::SubcaseSignature&) override {}
    void subcase_end() override {}
    void log_assert(const doctest::AssertData&) override {}
    void log_message(const doctest::MessageData&) override {}
    void test_case_skipped(const doctest::TestCaseData&) override {}
};

}  // namespace chima::test
