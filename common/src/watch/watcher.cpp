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
    if (!node.empty())
        j["node"] = node;
    if (metric == "silence")
        j["silent"] = silent;
    return j;
}

SectionWatcher::SectionWatcher(const Deployment& deployment, WatchOptions options)
    : sections_(deployment.sections), deployment_(deployment), options_(options) {}

void SectionWatcher::reload(const Deployment& deployment) {
    sections_ = deployment.sections;
    deployment_ = deployment;
    states_.clear();
    // A silent segment the new deployment still watches stays silent until the collector
    // says its telemetry resumed; the others are forgotten.
    std::set<std::pair<std::string, std::string>> kept;
    for (const auto& s : sections_)
        for (const auto& seg : s.segments)
            if (silent_.count({s.chain, seg.key()}))
                kept.insert({s.chain, seg.key()});
    silent_ = std::move(kept);
}

bool SectionWatcher::cause_known(const Section& s, int64_t now) const {
    // One fault silences the whole journey: a cause reported for any section of the chain
    // explains the silence of all of them.
    for (const auto& other : sections_) {
        if (other.chain != s.chain)
            continue;
        for (const char* kind : {"availability", "link", "node"}) {
            auto it = last_report_.find(other.chain + "/" + other.name + "/" + kind);
            if (it != last_report_.end() && now - it->second < options_.hold_down)
                return true;
        }
    }
    return false;
}

std::vector<Violation> SectionWatcher::silence_event(const json& event, bool silent, int64_t ts,
                                                     int64_t now) {
    std::string chain = event.value("chain", "");
    std::string key = event.value("segment", "");
    if (key.empty())
        return {};
    if (silent) {
        silent_.insert({chain, key});
        // The collector lists every segment of the chain silent at this moment: a fault
        // silences a whole journey at once, and the first violation should name them all.
        if (event.contains("silent") && event["silent"].is_array())
            for (const auto& k : event["silent"])
                if (k.is_string())
                    silent_.insert({chain, k.get<std::string>()});
    } else {
        silent_.erase({chain, key});
    }
    std::vector<Violation> out;
    for (const auto& s : sections_) {
        if (s.chain != chain)
            continue;
        bool involved = false;
        std::vector<std::string> keys;
        std::optional<Segment> first;
        for (const auto& seg : s.segments) {
            involved = involved || seg.key() == key;
            if (silent_.count({s.chain, seg.key()})) {
                keys.push_back(seg.key());
                if (!first)
                    first = seg;
            }
        }
        if (!involved)
            continue;
        State& st = states_[s.chain + "/" + s.name + "/silence"];
        if (keys.empty()) {
            st.violated = false;  // every segment of the section speaks again
            continue;
        }
        if (!silent || st.violated)
            continue;
        st.violated = true;
        if (cause_known(s, now) || !hold_down_allows(s, "silence", now))
            continue;
        int64_t since = event.value("since_ns", ts);
        Violation v{s.chain, s.name, "silence", now - since, event.value("bound_ns", int64_t{0}),
                    ts,      now,    first,     0,           "no telemetry from " + first->key(),
                    {},      {}};
        v.silent = keys;
        out.push_back(std::move(v));
    }
    return out;
}

bool SectionWatcher::segment_on_node(const Section& s, const Segment& seg,
                                     const std::string& node) const {
    if (seg.kind == SegmentKind::Link)
        return seg.a == node || seg.b == node;
    const PlacedFunction* f = deployment_.find_function(s.chain, seg.function);
    if (!f)
        return false;
    if (f->node == node)
        return true;
    const Host* h = deployment_.topology.find_host(f->node);
    return h && h->at.sw == node;
}

std::vector<Violation> SectionWatcher::node_event(const std::string& node, bool missing, int64_t ts,
                                                  int64_t now) {
    std::vector<Violation> out;
    const std::string& client_switch = deployment_.topology.client.at.sw;
    for (const auto& s : sections_) {
        std::optional<Segment> first;
        bool all = node == deployment_.topology.client.name || node == client_switch;
        for (const auto& seg : s.segments) {
            if (!first && (all || segment_on_node(s, seg, node)))
                first = seg;
        }
        if (!first)
            continue;
        State& st = states_[s.chain + "/" + s.name + "/node"];
        if (!missing) {
            st.violated = false;
            continue;
        }
        st.violated = true;
        if (!hold_down_allows(s, "node", now))
            continue;
        Violation v{s.chain, s.name, "node", 0, 0,
                    ts,      now,    first,  0, "node " + node + " is missing",
                    {},      {}};
        v.node = node;
        out.push_back(std::move(v));
    }
    return out;
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
            Violation v{s.chain, s.name, metric, *sum, limit, ts, now, std::nullopt, 0, {}, {}, {}};
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
        Violation v;
        v.chain = s.chain;
        v.section = s.name;
        v.metric = metric;
        v.crossed_at = ts;
        v.detected_at = now;
        v.worst = worst;
        v.reason = reason;
        out.push_back(std::move(v));
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
                        "event-driven crossing",
                        {},
                        {}};
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
    if (type == "silence" || type == "telemetry-resumed")
        return silence_event(event, type == "silence", ts, now);
    if (type == "node-missing" || type == "node-back") {
        std::string node = event.value("node", "");
        if (node.empty())
            return {};
        return node_event(node, type == "node-missing", ts, now);
    }
    if (type == "link-up") {
        std::string link = event.value("link", "");
        auto dash = link.find('-');
        if (dash == std::string::npos)
            return {};
        std::string a = link.substr(0, dash), b = link.substr(dash + 1);
        for (const auto& s : sections_) {
            for (const auto& x : s.segments) {
                if (x.kind == SegmentKind::Link &&
                    ((x.a == a && x.b == b) || (x.a == b && x.b == a)))
                    states_[s.chain + "/" + s.name + "/link"].violated = false;
            }
        }
        return {};
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
