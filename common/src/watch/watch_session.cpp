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
        for (const auto& v : watcher.consume(event, now_ns())) {
            out << v.to_json().dump() << std::endl;
            spdlog::info("violation: chain {} section {} {} {} > {}", v.chain, v.section, v.metric,
                         v.measured, v.limit);
        }
    }
    if (bad)
        spdlog::warn("{} input line(s) were not JSON", bad);
}

}  // namespace chima
