// Faults: silence of a segment's telemetry (chima-collect), missing nodes, and what
// chima-watch and chima-relocate make of them (see docs/architecture.md, Faults).
#include <doctest/doctest.h>

#include <cstdlib>
#include <set>

#include "chima/collector/collect_session.hpp"
#include "chima/collector/node_presence.hpp"
#include "chima/collector/silence.hpp"
#include "chima/compose/compose.hpp"
#include "chima/error.hpp"
#include "chima/relocate/relocation.hpp"
#include "chima/watch/watcher.hpp"

using namespace chima;
using namespace chima::collector;
using nlohmann::json;

namespace {

constexpr std::uint64_t kMs = 1'000'000;
constexpr std::int64_t kSec = 1'000'000'000;

Deployment minimal() {
    std::string root = std::getenv("CHIMA_ROOT") ? std::getenv("CHIMA_ROOT") : CHIMA_DEFAULT_ROOT;
    std::string ex = root + "/examples/minimal/";
    return compose({load_topology(ex + "topology.yaml"),
                    load_service(ex + "service.yaml"),
                    load_placement(ex + "placement.yaml"),
                    {},
                    nullptr});
}

// Two watched segments, s0-s1 then fn:toupper, in one chain.
SectionTable two_segments() {
    WatchedSection s{"c",
                     "toupper",
                     5 * kMs,
                     0,
                     {{link_segment(1, 2), "s0-s1"}, {function_segment(7), "fn:toupper"}}};
    return SectionTable({s});
}

SegmentReading reading(chima_segment_key key, std::uint64_t samples, std::uint64_t last_ns) {
    SegmentReading r;
    r.key = key;
    r.samples = samples;
    r.last_update_ns = last_ns;
    r.latency_ns = 1e6;
    return r;
}

// A flow sampled every 20 ms on both segments from t=0 to `until` (ms); the readings at `now`.
std::vector<SegmentReading> sampled(std::uint64_t until_ms) {
    std::uint64_t n = until_ms / 20 + 1;
    return {reading(link_segment(1, 2), n, (n - 1) * 20 * kMs),
            reading(function_segment(7), n, (n - 1) * 20 * kMs)};
}

}  // namespace

TEST_CASE("silence: derived bound from the sample interval, reported once, resumed") {
    SectionTable table = two_segments();
    SilenceTracker tracker;  // auto: max(4 x interval, 150 ms)
    // Samples every 20 ms for a second, looked at every 10 ms: never silent.
    for (std::uint64_t t = 0; t <= 1000; t += 10)
        CHECK(tracker.update(sampled(t), table, t * kMs).empty());
    CHECK(tracker.bound_ns(link_segment(1, 2)) == static_cast<std::int64_t>(150 * kMs));

    // The telemetry stops at 1000 ms: silent after the 150 ms bound, not before.
    auto frozen = sampled(1000);
    CHECK(tracker.update(frozen, table, 1140 * kMs).empty());
    auto changes = tracker.update(frozen, table, 1160 * kMs);
    REQUIRE(changes.size() == 2);
    CHECK(changes[0].silent);
    CHECK(changes[0].key == link_segment(1, 2));  // the journey's order
    CHECK(changes[1].key == function_segment(7));
    CHECK(changes[0].last_sample_ns == 1000 * kMs);
    CHECK(tracker.silent(link_segment(1, 2)));
    CHECK(tracker.update(frozen, table, 1500 * kMs).empty());  // once, not on every look

    // No measurement line for a silent segment; the others carry their sample's time.
    std::string lines = measurement_lines(5 * kSec, frozen, table, &tracker);
    CHECK(lines.empty());

    // A new sample: telemetry resumed.
    auto back = frozen;
    back[0].samples += 1;
    back[0].last_update_ns = 1600 * kMs;
    changes = tracker.update(back, table, 1600 * kMs);
    REQUIRE(changes.size() == 1);
    CHECK_FALSE(changes[0].silent);
    CHECK_FALSE(tracker.silent(link_segment(1, 2)));
    CHECK(tracker.silent(function_segment(7)));
    lines = measurement_lines(5 * kSec, back, table, &tracker);
    auto m = json::parse(lines.substr(0, lines.find('\n')));
    CHECK(m["segment"] == "s0-s1");
    CHECK(m["ts_ns"] == 5 * kSec + 1600 * static_cast<std::int64_t>(kMs));
    CHECK(m["ts"] == m["ts_ns"]);
}

TEST_CASE("silence: the bound follows the flow's rate, a fixed bound overrides, floor holds") {
    // A flow every 50 ms: 4 x 50 = 200 ms, above the floor.
    SilenceTracker medium;
    for (std::uint64_t t = 0; t <= 1000; t += 50) {
        std::vector<SegmentReading> r{reading(link_segment(1, 2), t / 50 + 1, t * kMs)};
        medium.update(r, two_segments(), t * kMs);
    }
    CHECK(medium.bound_ns(link_segment(1, 2)) == doctest::Approx(200 * kMs).epsilon(0.01));
    SectionTable table = two_segments();
    SilenceTracker slow;
    // One sample a second: silent only after 4 s.
    for (std::uint64_t s = 1; s <= 5; ++s) {
        std::vector<SegmentReading> r{reading(link_segment(1, 2), s, s * 1000 * kMs)};
        CHECK(slow.update(r, table, s * 1000 * kMs).empty());
    }
    std::vector<SegmentReading> last{reading(link_segment(1, 2), 5, 5000 * kMs)};
    CHECK(slow.update(last, table, 8000 * kMs).empty());
    CHECK(slow.update(last, table, 9100 * kMs).size() == 1);

    SilenceOptions fixed;
    fixed.after = std::chrono::milliseconds(300);
    SilenceTracker tracker(fixed);
    CHECK(tracker.update(sampled(100), table, 100 * kMs).empty());
    CHECK(tracker.update(sampled(100), table, 390 * kMs).empty());
    CHECK(tracker.update(sampled(100), table, 410 * kMs).size() == 2);

    // A very fast flow: the floor (150 ms) keeps a short gap from being a fault.
    SilenceTracker fast;
    for (std::uint64_t i = 1; i <= 100; ++i) {
        std::vector<SegmentReading> r{reading(link_segment(1, 2), i, i * kMs)};
        fast.update(r, table, i * kMs);
    }
    CHECK(fast.bound_ns(link_segment(1, 2)) == static_cast<std::int64_t>(150 * kMs));
}

TEST_CASE("silence: unwatched and never-sampled segments are not judged") {
    SectionTable table = two_segments();
    SilenceTracker tracker;
    std::vector<SegmentReading> r{reading(link_segment(3, 4), 5, 0),    // no section names it
                                  reading(function_segment(7), 0, 0)};  // never measured
    CHECK(tracker.update(r, table, 100 * kSec).empty());
    // Until two samples give its rate, a segment has the unknown-rate bound (1 s).
    std::vector<SegmentReading> once{reading(link_segment(1, 2), 1, 0)};
    CHECK(tracker.update(once, table, 900 * kMs).empty());
    CHECK(tracker.update(once, table, 1100 * kMs).size() == 1);
}

TEST_CASE("silence: --silence-after values") {
    CHECK_FALSE(parse_silence_after("auto").has_value());
    CHECK(parse_silence_after("150ms")->count() == 150'000'000);
    CHECK_THROWS_AS(parse_silence_after("0ms"), InputError);
    CHECK_THROWS_AS(parse_silence_after("soon"), InputError);
}

TEST_CASE("silence: event lines name the segment, its chain and every silent segment") {
    SectionTable table = two_segments();
    SilenceTracker tracker;
    for (std::uint64_t t = 0; t <= 1000; t += 10)
        tracker.update(sampled(t), table, t * kMs);
    auto changes = tracker.update(sampled(1000), table, 1200 * kMs);
    REQUIRE(changes.size() == 2);
    std::string text = silence_lines(7 * kSec, 5 * kSec, changes[0], table, tracker);
    auto line = json::parse(text.substr(0, text.find('\n')));
    CHECK(line["type"] == "silence");
    CHECK(line["chain"] == "c");
    CHECK(line["segment"] == "s0-s1");
    CHECK(line["ts_ns"] == 7 * kSec);
    CHECK(line["since_ns"] == 6 * kSec);  // its last sample, on the wall clock
    CHECK(line["silent"] == json({"s0-s1", "fn:toupper"}));
    auto node = json::parse(node_line(3, NodeChange{"s3", true}));
    CHECK(node["type"] == "node-missing");
    CHECK(node["node"] == "s3");
    CHECK(json::parse(node_line(3, NodeChange{"s3", false}))["type"] == "node-back");
}

namespace {
std::set<std::string> g_present;
bool fake_exists(const std::string& netns) {
    return g_present.count(netns) > 0;
}
}  // namespace

TEST_CASE("node presence: missing and back, each reported once") {
    g_present = {"n.s1", "n.s3"};
    NodePresence nodes({{"s1", "n.s1"}, {"s3", "n.s3"}}, &fake_exists);
    CHECK(nodes.update().empty());
    g_present.erase("n.s3");
    auto changes = nodes.update();
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].node == "s3");
    CHECK(changes[0].missing);
    CHECK(nodes.update().empty());
    g_present.insert("n.s3");
    changes = nodes.update();
    REQUIRE(changes.size() == 1);
    CHECK_FALSE(changes[0].missing);
}

namespace {
json silence(const std::string& seg, std::vector<std::string> all, int64_t ts) {
    return {{"type", "silence"}, {"ts_ns", ts},         {"chain", "minimal"},
            {"segment", seg},    {"since_ns", ts - 90}, {"bound_ns", 80'000'000},
            {"silent", all}};
}
}  // namespace

TEST_CASE("watch: a silent segment is a silence violation of every section holding it") {
    Deployment d = minimal();
    SectionWatcher w(d, WatchOptions{});
    auto v = w.consume(silence("s0-s1", {"s0-s1", "fn:toupper", "s1-s3", "fn:echo"}, kSec), kSec);
    REQUIRE(v.size() == 2);  // toupper and end-to-end
    for (const auto& x : v) {
        CHECK(x.metric == "silence");
        REQUIRE(x.worst);
        CHECK(x.worst->key() == "s0-s1");
        auto j = x.to_json();
        CHECK(j["worst"]["type"] == "link");
        CHECK(j["silent"].size() >= 2);
    }
    // The rest of the same outage: no more violations.
    CHECK(w.consume(silence("fn:toupper", {"s0-s1", "fn:toupper"}, kSec), kSec).empty());
    // Resumed and silent again after the hold-down: reported again.
    for (const char* seg : {"s0-s1", "fn:toupper", "s1-s3", "fn:echo"})
        w.consume({{"type", "telemetry-resumed"}, {"chain", "minimal"}, {"segment", seg}},
                  2 * kSec);
    CHECK(w.consume(silence("s1-s3", {"s1-s3"}, 7 * kSec), 7 * kSec).size() == 1);
}

TEST_CASE("watch: the first silent segment in journey order is the worst") {
    Deployment d = minimal();
    SectionWatcher w(d, WatchOptions{});
    auto v = w.consume(silence("fn:echo", {"s1-s3", "fn:echo"}, kSec), kSec);
    REQUIRE(v.size() == 1);  // only end-to-end holds fn:echo
    CHECK(v[0].section == "end-to-end");
    CHECK(v[0].worst->key() == "s1-s3");
    CHECK(v[0].silent == std::vector<std::string>{"s1-s3", "fn:echo"});
}

TEST_CASE("watch: a function exit explains the silence that follows it") {
    Deployment d = minimal();
    SectionWatcher w(d, WatchOptions{});
    auto exit = w.consume(
        {{"type", "function-exit"}, {"chain", "minimal"}, {"function", "echo"}, {"ts_ns", kSec}},
        kSec);
    REQUIRE(exit.size() == 1);
    CHECK(exit[0].metric == "availability");
    CHECK(w.consume(silence("fn:echo", {"fn:echo"}, kSec), kSec + 1).empty());
    // The whole journey falls silent: the toupper section (without echo) is explained too.
    CHECK(w.consume(silence("s0-s1", {"s0-s1", "fn:toupper", "s1-s3", "fn:echo"}, kSec), kSec + 2)
              .empty());
}

TEST_CASE("watch: a missing node is a node violation of the sections it carries") {
    Deployment d = minimal();
    SectionWatcher w(d, WatchOptions{});
    // s3 carries s1-s3 and d3 (echo): only the end-to-end section.
    auto v = w.consume({{"type", "node-missing"}, {"node", "s3"}, {"ts_ns", kSec}}, kSec);
    REQUIRE(v.size() == 1);
    CHECK(v[0].metric == "node");
    CHECK(v[0].section == "end-to-end");
    CHECK(v[0].to_json()["node"] == "s3");
    CHECK(v[0].worst->key() == "s1-s3");
    // s2 carries nothing of the chain.
    CHECK(w.consume({{"type", "node-missing"}, {"node", "s2"}}, kSec).empty());
    // d1 runs toupper: both sections (a fresh watcher: end-to-end is in its node hold-down).
    SectionWatcher fresh(d, WatchOptions{});
    CHECK(fresh.consume({{"type", "node-missing"}, {"node", "d1"}}, kSec).size() == 2);
}

namespace {
bool crosses(const Deployment& d, const std::string& a, const std::string& b) {
    for (const auto& f : d.flows)
        for (std::size_t i = 0; i + 1 < f.path.size(); ++i)
            if ((f.path[i] == a && f.path[i + 1] == b) || (f.path[i] == b && f.path[i + 1] == a))
                return true;
    return false;
}
}  // namespace

TEST_CASE("relocate: around a silent link, a missing switch, an exited function") {
    Deployment d = minimal();
    relocate::RelocationOptions options;
    Topology t = d.topology;

    SectionWatcher w(d, WatchOptions{});
    auto silent = w.consume(silence("s0-s1", {"s0-s1", "fn:toupper"}, kSec), kSec);
    REQUIRE_FALSE(silent.empty());
    auto deg = relocate::degradation_of(d, silent[0].to_json(), options);
    REQUIRE(deg);
    auto next = relocate::plan_relocation(t, d, *deg, options);
    CHECK_FALSE(crosses(next, "s0", "s1"));

    auto gone = w.consume({{"type", "node-missing"}, {"node", "s3"}}, kSec);
    REQUIRE(gone.size() == 1);
    deg = relocate::degradation_of(d, gone[0].to_json(), options);
    REQUIRE(deg);
    next = relocate::plan_relocation(t, d, *deg, options);
    for (const auto& f : next.functions)
        CHECK(f.node != "s3");
    CHECK(next.find_function("minimal", "echo")->node != "d3");  // d3 hangs off s3
    CHECK_FALSE(crosses(next, "s1", "s3"));

    auto exited =
        w.consume({{"type", "function-exit"}, {"chain", "minimal"}, {"function", "echo"}}, kSec);
    REQUIRE(exited.size() == 1);
    deg = relocate::degradation_of(d, exited[0].to_json(), options);  // default: restart
    REQUIRE(deg);
    CHECK(deg->restart);
    CHECK(relocate::plan_relocation(t, d, *deg, options).id == d.id);
    options.on_exit = relocate::OnExit::Move;
    deg = relocate::degradation_of(d, exited[0].to_json(), options);
    REQUIRE(deg);
    CHECK_FALSE(deg->restart);
    CHECK(relocate::plan_relocation(t, d, *deg, options).find_function("minimal", "echo")->node !=
          "d3");
    CHECK_THROWS_AS(relocate::on_exit_from_string("reboot"), InputError);
}

TEST_CASE("silence: telemetry that moved to a new path is not a fault") {
    SectionTable table = two_segments();
    SilenceTracker tracker;
    for (std::uint64_t t = 0; t <= 1000; t += 10) {
        auto r = sampled(t);
        r.push_back(reading(link_segment(2, 1), t / 20 + 1, (t / 20) * 20 * kMs));  // replies
        tracker.update(r, table, t * kMs);
    }
    // At 1000 ms a relocation switches the flow to s0-s2 (a segment no section names yet),
    // make before break: its first sample (990 ms) comes before the old path's last
    // (1000 ms). Then s0-s1 and fn:toupper stop and the new one grows: not silent while the
    // deployment catches up.
    std::vector<SegmentReading> moved = sampled(1000);
    moved.push_back(reading(link_segment(2, 1), 51, 1000 * kMs));
    for (std::uint64_t t = 1000; t <= 2000; t += 10) {
        auto r = moved;
        r.push_back(reading(link_segment(1, 3), (t - 990) / 20 + 1, (t - 10) * kMs));
        CHECK(tracker.update(r, table, t * kMs).empty());
    }
    // Past the grace period the segment counts as silent after all (no deployment came).
    auto r = moved;
    r.push_back(reading(link_segment(1, 3), 200, 4000 * kMs));
    CHECK(tracker.update(r, table, 4100 * kMs).size() == 2);

    // A cut (nothing grows anywhere) is reported at once: the replies stop too.
    SilenceTracker cut;
    for (std::uint64_t t = 0; t <= 1000; t += 10) {
        auto x = sampled(t);
        x.push_back(reading(link_segment(2, 1), t / 20 + 1, (t / 20) * 20 * kMs));
        cut.update(x, table, t * kMs);
    }
    auto frozen = sampled(1000);
    frozen.push_back(reading(link_segment(2, 1), 51, 1000 * kMs));
    CHECK(cut.update(frozen, table, 1160 * kMs).size() == 2);
}
