// chima-watch's logic: sums segment measurements per SLA section, compares them with the
// SLA and decides when a violation is reported (hysteresis and hold-down keep one
// degradation from becoming a storm of violations).
#pragma once

#include <cstdint>
#include <istream>
#include <map>
#include <set>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "chima/model/deployment.hpp"

namespace chima {

struct WatchOptions {
    // A section in violation returns to normal only once below limit * (1 - hysteresis).
    double hysteresis = 0.1;
    // After a violation of a section, no other of the same kind for this long.
    Nanoseconds hold_down = 5'000'000'000;
    // A measurement older than this (relative to the newest seen) no longer counts.
    Nanoseconds stale_after = 10'000'000'000;
};

struct Violation {
    std::string chain;
    std::string section;
    // "latency", "jitter", "availability" (a function exited), "link" (link-down), "node"
    // (node-missing), "silence" (a segment's telemetry stopped)
    std::string metric;
    int64_t measured = 0;  // ns (latency/jitter), 0 otherwise
    int64_t limit = 0;
    int64_t crossed_at = 0;   // ns, when the measurement that crossed was taken
    int64_t detected_at = 0;  // ns, when the watcher saw it
    // The segment that contributes most (or the one that failed): what to avoid.
    std::optional<Segment> worst;
    int64_t worst_value = 0;
    std::string reason;
    std::string node;                 // metric "node": the node that is missing
    std::vector<std::string> silent;  // metric "silence": the section's silent segment keys
    nlohmann::json to_json() const;
};

class SectionWatcher {
  public:
    SectionWatcher(const Deployment& deployment, WatchOptions options);

    // The deployment changed (a relocation): watch its sections from now on. Measurements
    // seen so far stay; violation states start afresh; hold-downs carry over, so a section
    // that just caused the relocation is not reported again while the new path settles.
    void reload(const Deployment& deployment);

    // One input line (already parsed). Returns the violations it causes, if any.
    // `now` is the watcher's clock (ns) for detected_at.
    std::vector<Violation> consume(const nlohmann::json& event, int64_t now);

    // Current sum of a section's metric; nullopt until every segment has a measurement.
    std::optional<int64_t> section_sum(const std::string& chain, const std::string& section,
                                       const std::string& metric) const;

  private:
    struct SegmentValue {
        int64_t latency = 0, jitter = 0, ts = 0;
    };
    struct State {
        bool violated = false;
    };

    std::vector<Violation> evaluate(const Section& s, int64_t ts, int64_t now);
    std::vector<Violation> silence_event(const nlohmann::json& event, bool silent, int64_t ts,
                                         int64_t now);
    std::vector<Violation> node_event(const std::string& node, bool missing, int64_t ts,
                                      int64_t now);
    // Whether the node's loss takes the segment with it: a link ending at it, a function
    // running on it or on a host attached to it.
    bool segment_on_node(const Section& s, const Segment& seg, const std::string& node) const;
    // A fault reported recently for a section of the same chain (a function exit, a link
    // down, a missing node) explains its silence: no second violation for the same outage.
    bool cause_known(const Section& s, int64_t now) const;
    std::vector<Violation> section_event(const std::string& chain, const std::string& metric,
                                         const std::string& reason,
                                         const std::function<bool(const Section&)>& affected,
                                         const std::optional<Segment>& worst, int64_t ts,
                                         int64_t now);
    // The hold-down is per section and kind of trouble; latency and jitter share one, so a
    // degradation that pushes both over their limits is one violation.
    bool hold_down_allows(const Section& s, const std::string& metric, int64_t now);

    std::vector<Section> sections_;
    Deployment deployment_;  // where the functions run (node faults)
    WatchOptions options_;
    std::set<std::pair<std::string, std::string>> silent_;                // (chain, segment key)
    std::map<std::pair<std::string, std::string>, SegmentValue> values_;  // (chain, key)
    std::map<std::string, State> states_;                                 // chain/section/metric
    std::map<std::string, int64_t> last_report_;                          // chain/section/kind
    int64_t newest_ = 0;
};

// The loop of chima-watch: JSON Lines from `in` (chima-collect's output, health events),
// violation lines to `out`, flushed per line. When `deployment_file` is replaced
// (chima-relocate -o writes it atomically), the sections are reloaded from it.
// Returns at the end of `in`.
void run_watch(const std::string& deployment_file, const WatchOptions& options, std::istream& in,
               std::ostream& out);

}  // namespace chima
