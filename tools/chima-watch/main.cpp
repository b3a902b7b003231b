// chima-watch: chima-collect's JSON Lines in, SLA violations (JSON Lines) out.
#include <spdlog/spdlog.h>

#include <chrono>
#include <iostream>

#include "chima/model/units.hpp"
#include "chima/tool.hpp"
#include "chima/watch/watcher.hpp"

namespace {
int64_t now_ns() {
    // The same clock as the collector's "ts" (CLOCK_REALTIME), so crossed_at and
    // detected_at are comparable.
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

chima::Nanoseconds duration_flag(const std::string& text, const char* flag) {
    auto d = chima::parse_duration(text);
    if (!d || *d < 0) {
        throw chima::InputError(std::string(flag) + ": expected a duration such as 5s or 500ms, got '" +
                                text + "'");
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
    tool.app.add_option("--hysteresis", hysteresis,
                        "a violated section is normal again below limit*(1-H)")
        ->check(CLI::Range(0.0, 0.99))
        ->capture_default_str();
    tool.app.add_option("--hold-down", hold_down, "no second violation of a section this soon")
        ->capture_default_str();
    tool.app.add_option("--stale", stale, "ignore measurements older than this")
        ->capture_default_str();
    return tool.run(argc, argv, [&] {
        chima::Deployment d = chima::load_deployment(deployment);
        chima::WatchOptions opts;
        opts.hysteresis = hysteresis;
        opts.hold_down = duration_flag(hold_down, "--hold-down");
        opts.stale_after = duration_flag(stale, "--stale");
        chima::SectionWatcher watcher(d, opts);
        spdlog::info("watching {} section(s) of deployment {}", d.sections.size(), d.id);
        std::string line;
        uint64_t lineno = 0, bad = 0;
        while (std::getline(std::cin, line)) {
            ++lineno;
            if (line.empty()) continue;
            nlohmann::json event;
            try {
                event = nlohmann::json::parse(line);
            } catch (const nlohmann::json::exception& e) {
                if (++bad <= 10) spdlog::warn("stdin:{}: not JSON, ignored", lineno);
                continue;
            }
            for (const auto& v : watcher.consume(event, now_ns())) {
                std::cout << v.to_json().dump() << std::endl;
                spdlog::info("violation: chain {} section {} {} {} > {}", v.chain, v.section,
                             v.metric, v.measured, v.limit);
            }
        }
        if (bad) spdlog::warn("{} input line(s) were not JSON", bad);
        return 0;
    });
}
