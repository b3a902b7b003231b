// chima-watch's loop: lines in, violations out, the deployment followed across relocations.
#include <spdlog/spdlog.h>

#include <chrono>

#include "chima/file_change.hpp"
#include "chima/watch/watcher.hpp"

namespace chima {

namespace {

int64_t now_ns() {
    // The same clock as the collector's "ts" (CLOCK_REALTIME), so crossed_at and
    // detected_at are comparable.
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Why a measurement line cannot be used ("" when it can): its delays are durations, so
// integers >= 0, and its time an integer >= 0. A stream goes on past a bad line (see
// chima-watch(1), INPUT): the line is skipped with a warning naming it.
std::string measurement_problem(const nlohmann::json& event) {
    if (!event.is_object() || event.value("type", nlohmann::json()) != "measurement")
        return {};
    for (const char* key : {"latency_ns", "jitter_ns", "ts", "ts_ns"}) {
        if (!event.contains(key))
            continue;
        const auto& v = event[key];
        if (!v.is_number_integer() ||
            (v.is_number_integer() && !v.is_number_unsigned() && v.get<int64_t>() < 0)) {
            return std::string("measurement with ") + key + " " + v.dump() +
                   " (expected an integer >= 0)";
        }
    }
    for (const char* key : {"chain", "segment"}) {
        if (event.contains(key) && !event[key].is_string())
            return std::string("measurement with a ") + key + " that is not a string";
    }
    return {};
}

}  // namespace

void run_watch(const std::string& deployment_file, const WatchOptions& options, std::istream& in,
               std::ostream& out) {
    FileChange deployment_changed(deployment_file);
    Deployment d = load_deployment(deployment_file);
    SectionWatcher watcher(d, options);
    spdlog::info("watching {} section(s) of deployment {}", d.sections.size(), d.id);
    std::string line;
    uint64_t lineno = 0, bad = 0;
    while (std::getline(in, line)) {
        ++lineno;
        if (deployment_changed.changed()) {
            try {
                d = load_deployment(deployment_file);
                watcher.reload(d);
                spdlog::info("deployment changed: watching {} section(s) of deployment {}",
                             d.sections.size(), d.id);
            } catch (const std::exception& e) {
                spdlog::warn("{} changed but cannot be read ({}); still watching {}",
                             deployment_file, e.what(), d.id);
            }
        }
        if (line.empty())
            continue;
        nlohmann::json event;
        try {
            event = nlohmann::json::parse(line);
        } catch (const nlohmann::json::exception&) {
            if (++bad <= 10)
                spdlog::warn("stdin:{}: not JSON, ignored", lineno);
            continue;
        }
        if (auto problem = measurement_problem(event); !problem.empty()) {
            if (++bad <= 10)
                spdlog::warn("stdin:{}: {}, ignored", lineno, problem);
            continue;
        }
        for (const auto& v : watcher.consume(event, now_ns())) {
            out << v.to_json().dump() << std::endl;
            spdlog::info("violation: chain {} section {} {} {} > {}", v.chain, v.section, v.metric,
                         v.measured, v.limit);
        }
    }
    if (bad)
        spdlog::warn("{} input line(s) were not JSON or not a usable measurement", bad);
}

}  // namespace chima
