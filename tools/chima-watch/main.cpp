// chima-watch: chima-collect's JSON Lines in, SLA violations (JSON Lines) out.
#include <spdlog/spdlog.h>

#include <iostream>

#include "chima/units.hpp"
#include "chima/tool.hpp"
#include "chima/watch/watcher.hpp"

namespace {
chima::Nanoseconds duration_flag(const std::string& text, const char* flag) {
    auto d = chima::parse_duration(text);
    if (!d || *d < 0) {
        throw chima::InputError(std::string(flag) +
                                ": expected a duration such as 5s or 500ms, got '" + text + "'");
    }
    return *d;
}
}  // namespace

int main(int argc, char** argv) {
    chima::Tool tool("chima-watch",
                     "Read chima-collect's measurements (JSON Lines) on stdin, sum them per SLA "
                     "section, and print one violation line per degradation.");
    std::string deployment;
    double hysteresis = 0.1;
    std::string hold_down = "5s", stale = "10s";
    tool.app.add_option("--deployment,-d", deployment, "deployment.json")->required();
    tool.app
        .add_option("--hysteresis", hysteresis,
                    "a violated section is normal again below limit*(1-H)")
        ->check(CLI::Range(0.0, 0.99))
        ->capture_default_str();
    tool.app.add_option("--hold-down", hold_down, "no second violation of a section this soon")
        ->capture_default_str();
    tool.app.add_option("--stale", stale, "ignore measurements older than this")
        ->capture_default_str();
    return tool.run(argc, argv, [&] {
        chima::WatchOptions opts;
        opts.hysteresis = hysteresis;
        opts.hold_down = duration_flag(hold_down, "--hold-down");
        opts.stale_after = duration_flag(stale, "--stale");
        chima::run_watch(deployment, opts, std::cin, std::cout);
        return 0;
    });
}
