#include "chima/collector/silence.hpp"

#include <algorithm>
#include <map>
#include <tuple>

#include "chima/error.hpp"
#include "chima/units.hpp"

namespace chima::collector {

namespace {

// Weight of a new inter-sample interval in its average: a few intervals smooth a jittery
// sender without hiding a real change of rate for long.
constexpr double kIntervalWeight = 0.25;

}  // namespace

std::size_t SilenceTracker::KeyHash::operator()(const chima_segment_key& k) const {
    std::uint64_t h =
        (static_cast<std::uint64_t>(k.kind) << 60) ^ (static_cast<std::uint64_t>(k.a) << 28) ^ k.b;
    return std::hash<std::uint64_t>{}(h);
}

SilenceTracker::SilenceTracker(SilenceOptions options) : options_(options) {}

std::int64_t SilenceTracker::bound_of(const State& s) const {
    if (options_.after)
        return options_.after->count();
    if (s.interval_ns <= 0)
        return std::max(options_.unknown_rate, options_.floor).count();
    auto derived = static_cast<std::int64_t>(options_.intervals * s.interval_ns);
    return std::max<std::int64_t>(derived, options_.floor.count());
}

std::int64_t SilenceTracker::bound_ns(const chima_segment_key& key) const {
    auto it = states_.find(key);
    return bound_of(it == states_.end() ? State{} : it->second);
}

bool SilenceTracker::silent(const chima_segment_key& key) const {
    auto it = states_.find(key);
    return it != states_.end() && it->second.silent;
}

std::vector<SilenceChange> SilenceTracker::update(const std::vector<SegmentReading>& readings,
                                                  const SectionTable& table,
                                                  std::uint64_t now_mono_ns) {
    // Watched segments in the order the sections list them (the journey's order): changes
    // are reported in it, so the first silent segment of a journey comes first.
    std::map<std::tuple<std::uint32_t, std::uint32_t, std::uint32_t>, std::size_t> watched;
    for (const auto& section : table.sections())
        for (const auto& ref : section.segments)
            watched.try_emplace({ref.key.kind, ref.key.a, ref.key.b}, watched.size());
    std::vector<SilenceChange> changes;
    decltype(states_) next;
    for (const auto& r : readings) {
        if (r.samples == 0)
            continue;
        bool is_watched = watched.count({r.key.kind, r.key.a, r.key.b}) > 0;
        State s;
        auto it = states_.find(r.key);
        bool appeared = it == states_.end() && started_;
        if (it != states_.end())
            s = it->second;
        bool fresh = r.samples != s.samples;
        if (fresh && s.samples != 0 && r.samples > s.samples &&
            r.last_update_ns > s.last_update_ns) {
            double interval = static_cast<double>(r.last_update_ns - s.last_update_ns) /
                              static_cast<double>(r.samples - s.samples);
            s.interval_ns = s.interval_ns <= 0
                                ? interval
                                : s.interval_ns + kIntervalWeight * (interval - s.interval_ns);
        }
        if (fresh) {
            s.samples = r.samples;
            s.last_update_ns = r.last_update_ns;
            if (s.silent) {
                s.silent = false;
                if (is_watched)
                    changes.push_back({r.key, false, r.last_update_ns, 0, r.samples});
                else
                    s.arrived_ns = r.last_update_ns;  // came back
            }
        }
        if (appeared && !is_watched)
            s.arrived_ns = r.last_update_ns;
        next[r.key] = s;
    }
    // New traffic: the newest sample of a segment no section names that appeared (or came
    // back) within the grace period. It keeps growing while the old path drains, so it is
    // newer than the last sample of the segments it replaces.
    std::uint64_t moved_at = 0;
    for (const auto& [key, s] : next) {
        if (s.arrived_ns != 0 && !watched.count({key.kind, key.a, key.b}) &&
            now_mono_ns > s.arrived_ns &&
            static_cast<std::int64_t>(now_mono_ns - s.arrived_ns) < options_.moved_grace.count())
            moved_at = std::max(moved_at, s.last_update_ns);
    }
    // Judged once every segment has been looked at: a path that appeared in this very look
    // counts for the segments it replaces.
    for (auto& [key, s] : next) {
        bool is_watched = watched.count({key.kind, key.a, key.b}) > 0;
        std::int64_t bound = bound_of(s);
        if (s.silent || now_mono_ns <= s.last_update_ns ||
            static_cast<std::int64_t>(now_mono_ns - s.last_update_ns) <= bound)
            continue;
        if (is_watched && moved_at > s.last_update_ns)
            continue;     // the traffic moved (a relocation whose deployment is on its way)
        s.silent = true;  // an unwatched one is only idle: it may come back
        if (is_watched)
            changes.push_back({key, true, s.last_update_ns, bound, s.samples});
    }
    started_ = true;
    // Segments the kernel no longer has are forgotten.
    states_ = std::move(next);
    auto order = [&](const SilenceChange& c) { return watched.at({c.key.kind, c.key.a, c.key.b}); };
    std::stable_sort(changes.begin(), changes.end(),
                     [&](const auto& x, const auto& y) { return order(x) < order(y); });
    return changes;
}

std::optional<std::chrono::nanoseconds> parse_silence_after(const std::string& text) {
    if (text == "auto")
        return std::nullopt;
    auto d = parse_duration(text);
    if (!d || *d <= 0) {
        throw InputError(
            "--silence-after: expected 'auto' or a positive duration such as 150ms, "
            "got '" +
            text + "'");
    }
    return std::chrono::nanoseconds(*d);
}

}  // namespace chima::collector
