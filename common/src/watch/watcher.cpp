#include "chima/watch/watcher.hpp"

#include <functional>

#include "chima/error.hpp"

namespace chima {

using nlohmann::json;

json Violation::to_json() const {
    json j = {{"type", "violation"},      {"chain", chain},
              {"section", section},       {"metric", metric},
              {"measured", measured},     {"limit", limit},
              {"crossed_at", crossed_at}, {"detected_at", detected_at}};
    if (worst) {
        json w = {{"key", worst->key()}, {"value_ns", worst_value}};
        if (worst->kind == SegmentKind::Link) {
            w["type"] = "link";
            w["a"] = worst->a;
            w["b"] = worst->b;
        } else {
            w["type"] = "function";
            w["function"] = worst->function;
        }
        j["worst"] = w;
    }
    if (!reason.empty())
        j["reason"] = reason;
    return j;
}

SectionWatcher::SectionWatcher(const Deployment& deployment, WatchOptions options)
    : sections_(deployment.sections), options_(options) {}

void SectionWatcher::reload(const Deployment& deployment) {
    sections_ = deployment.sections;
    states_.clear();
}

bool SectionWatcher::hold_down_allows(const Section& s, const std::string& metric, int64_t now) {
    std::string kind = metric == "latency" || metric == "jitter" ? "sla" : metric;
    auto [it, first] = last_report_.try_emplace(s.chain + "/" + s.name + "/" + kind, now);
    if (first)
        return true;
    if (now - it->second < options_.hold_down)
        return false;
    it->second = now;
    return true;
}

std::optional<int64_t> SectionWatcher::section_sum(const std::string& chain,
                                                   const std::string& section,
                                                   const std::string& metric) const {
    for (const auto& s : sections_) {
        if (s.chain != chain || s.name != section)
            continue;
        int64_t sum = 0;
        for (const auto& seg : s.segments) {
            auto it = values_.find({chain, seg.key()});
            if (it == values_.end() || newest_ - it->second.ts > options_.stale_after) {
                return std::nullopt;
            }
            sum += metric == "latency" ? it->second.latency : it->second.jitter;
        }
        return sum;
    }
    return std::nullopt;
}

std::vector<Violation> SectionWatcher::evaluate(const Section& s, int64_t ts, int64_t now) {
    std::vector<Violation> out;
    for (const char* metric : {"latency", "jitter"}) {
        int64_t limit = std::string(metric) == "latency" ? s.sla.latency : s.sla.jitter;
        if (limit <= 0)
            continue;
        auto sum = section_sum(s.chain, s.name, metric);
        if (!sum)
            continue;
        State& st = states_[s.chain + "/" + s.name + "/" + metric];
        if (!st.violated && *sum > limit) {
            st.violated = true;
            if (!hold_down_allows(s, metric, now))
                continue;
            Violation v{s.chain, s.name, metric, *sum, limit, ts, now, std::nullopt, 0, {}};
            for (const auto& seg : s.segments) {
                const auto& val = values_.at({s.chain, seg.key()});
                int64_t x = std::string(metric) == "latency" ? val.latency : val.jitter;
                if (!v.worst || x > v.worst_value) {
                    v.worst = seg;
                    v.worst_value = x;
                }
            }
            out.push_back(v);
        } else if (st.violated &&
                   *sum < static_cast<int64_t>(limit * (1.0 - options_.hysteresis))) {
            st.violated = false;
        }
    }
    return out;
}

std::vector<Violation> SectionWatcher::section_event(
    const std::string& chain, const std::string& metric, const std::string& reason,
    const std::function<bool(const Section&)>& affected, const std::optional<Segment>& worst,
    int64_t ts, int64_t now) {
    std::vector<Violation> out;
    for (const auto& s : sections_) {
        if ((!chain.empty() && s.chain != chain) || !affected(s))
            continue;
        State& st = states_[s.chain + "/" + s.name + "/" + metric];
        st.violated = true;
        if (!hold_down_allows(s, metric, now))
            continue;
        out.push_back({s.chain, s.name, metric, 0, 0, ts, now, worst, 0, reason});
    }
    return out;
}

std::vector<Violation> SectionWatcher::consume(const json& event, int64_t now) {
    if (!event.is_object() || !event.contains("type") || !event["type"].is_string())
        return {};
    const std::string type = event["type"];
    // Event time in wall-clock ns ("ts"; health events from chima-install say "ts_ns").
    int64_t ts = now;
    for (const char* key : {"ts", "ts_ns"}) {
        if (event.contains(key) && event[key].is_number_integer())
            ts = event[key].get<int64_t>();
    }
    if (type == "measurement") {
        std::string chain = event.value("chain", "");
        std::string key = event.value("segment", "");
        auto& v = values_[{chain, key}];
        v.latency = event.value("latency_ns", int64_t{0});
        v.jitter = event.value("jitter_ns", int64_t{0});
        v.ts = ts;
        newest_ = std::max(newest_, ts);
        std::vector<Violation> out;
        for (const auto& s : sections_) {
            if (s.chain != chain)
                continue;
            bool involved = false;
            for (const auto& seg : s.segments)
                involved = involved || seg.key() == key;
            if (!involved)
                continue;
            auto vs = evaluate(s, ts, now);
            out.insert(out.end(), vs.begin(), vs.end());
        }
        return out;
    }
    if (type == "crossing") {
        // The collector saw a section's EWMA cross its threshold in the data plane: report
        // at once, without waiting for the next poll.
        std::string chain = event.value("chain", "");
        std::string section = event.value("section", "");
        std::string metric = event.value("metric", "latency");
        bool above = event.value("direction", "above") != "below";
        std::vector<Violation> out;
        for (const auto& s : sections_) {
            if (s.chain != chain || s.name != section)
                continue;
            State& st = states_[s.chain + "/" + s.name + "/" + metric];
            if (!above) {  // back below the threshold: the section is normal again
                st.violated = false;
                continue;
            }
            if (st.violated)
                continue;
            st.violated = true;
            if (!hold_down_allows(s, metric, now))
                continue;
            Violation v{chain,
                        section,
                        metric,
                        event.value("value_ns", int64_t{0}),
                        metric == "latency" ? s.sla.latency : s.sla.jitter,
                        ts,
                        now,
                        std::nullopt,
                        0,
                        "event-driven crossing"};
            if (event.contains("segment")) {
                // The segment whose sample crossed the threshold, with its own value: what
                // chima-relocate marks as degraded.
                std::string key = event["segment"];
                for (const auto& seg : s.segments) {
                    if (seg.key() == key)
                        v.worst = seg;
                }
                v.worst_value = event.value("segment_value_ns", int64_t{0});
            }
            out.push_back(v);
        }
        return out;
    }
    if (type == "function-exit") {
        std::string chain = event.value("chain", "");
        std::string fn = event.value("function", "");
        Segment seg;
        seg.kind = SegmentKind::Function;
        seg.function = fn;
        return section_event(
            chain, "availability", "function '" + fn + "' exited",
            [&](const Section& s) {
                for (const auto& x : s.segments)
                    if (x.kind == SegmentKind::Function && x.function == fn)
                        return true;
                return false;
            },
            seg, ts, now);
    }
    if (type == "link-down") {
        std::string link = event.value("link", "");
        auto dash = link.find('-');
        if (dash == std::string::npos)
            return {};
        Segment seg;
        seg.kind = SegmentKind::Link;
        seg.a = link.substr(0, dash);
        seg.b = link.substr(dash + 1);
        return section_event(
            "", "link", "link " + link + " is down",
            [&](const Section& s) {
                for (const auto& x : s.segments) {
                    if (x.kind == SegmentKind::Link &&
                        ((x.a == seg.a && x.b == seg.b) || (x.a == seg.b && x.b == seg.a)))
                        return true;
                }
                return false;
            },
            seg, ts, now);
    }
    return {};
}

}  // namespace chima
