// chima-watch: section sums, hysteresis, hold-down, jitter limits, exits and link-down.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>

#include "chima/compose/compose.hpp"
#include "chima/file_change.hpp"
#include "chima/state_file.hpp"
#include "chima/watch/watcher.hpp"

using namespace chima;
using nlohmann::json;

namespace {

Deployment minimal() {
    std::string root = std::getenv("CHIMA_ROOT") ? std::getenv("CHIMA_ROOT") : CHIMA_DEFAULT_ROOT;
    std::string ex = root + "/examples/minimal/";
    return compose({load_topology(ex + "topology.yaml"),
                    load_service(ex + "service.yaml"),
                    load_placement(ex + "placement.yaml"),
                    {},
                    nullptr});
}

json m(const std::string& seg, int64_t lat_ms, int64_t jit_ms, int64_t ts) {
    return {{"type", "measurement"},
            {"chain", "minimal"},
            {"segment", seg},
            {"latency_ns", lat_ms * 1'000'000},
            {"jitter_ns", jit_ms * 1'000'000},
            {"ts", ts}};
}

constexpr int64_t kSec = 1'000'000'000;

// Feeds the four segments of minimal; returns violations.
std::vector<Violation> feed(SectionWatcher& w, int64_t s0s1, int64_t toupper, int64_t s1s3,
                            int64_t echo, int64_t ts, int64_t jitter = 0) {
    std::vector<Violation> out;
    for (auto [k, v] : std::vector<std::pair<std::string, int64_t>>{
             {"s0-s1", s0s1}, {"fn:toupper", toupper}, {"s1-s3", s1s3}, {"fn:echo", echo}}) {
        auto vs = w.consume(m(k, v, jitter, ts), ts);
        out.insert(out.end(), vs.begin(), vs.end());
    }
    return out;
}

}  // namespace

TEST_CASE("watch: section sums and one violation per degradation") {
    Deployment d = minimal();
    SectionWatcher w(d, WatchOptions{});
    CHECK(feed(w, 1, 1, 1, 1, 1 * kSec).empty());
    CHECK(w.section_sum("minimal", "toupper", "latency") == 2'000'000);
    CHECK(w.section_sum("minimal", "end-to-end", "latency") == 4'000'000);

    // s0-s1 degrades to 20 ms: the toupper section (limit 5 ms) is violated, once.
    auto v = feed(w, 20, 1, 1, 1, 2 * kSec);
    REQUIRE(v.size() == 1);
    CHECK(v[0].section == "toupper");
    CHECK(v[0].metric == "latency");
    CHECK(v[0].measured == 21'000'000);
    CHECK(v[0].limit == 5'000'000);
    CHECK(v[0].crossed_at == 2 * kSec);
    REQUIRE(v[0].worst.has_value());
    CHECK(v[0].worst->key() == "s0-s1");
    // Still degraded: no storm.
    for (int i = 3; i < 20; ++i)
        CHECK(feed(w, 20, 1, 1, 1, i * kSec).empty());
}

TEST_CASE("watch: hysteresis keeps a section in violation until clearly below the limit") {
    Deployment d = minimal();
    WatchOptions o;
    o.hold_down = 0;
    o.hysteresis = 0.2;  // normal again below 4 ms for the 5 ms section
    SectionWatcher w(d, o);
    CHECK(feed(w, 5, 1, 1, 1, 1 * kSec).size() == 1);  // 6 ms > 5 ms
    CHECK(feed(w, 3, 1, 1, 1, 2 * kSec).empty());      // 4 ms: not below 4 ms, still violated
    CHECK(feed(w, 5, 1, 1, 1, 3 * kSec).empty());      // so this is not a new violation
    CHECK(feed(w, 2, 1, 1, 1, 4 * kSec).empty());      // 3 ms: normal again
    CHECK(feed(w, 5, 1, 1, 1, 5 * kSec).size() == 1);  // a new degradation
}

TEST_CASE("watch: hold-down suppresses a second violation that comes too soon") {
    Deployment d = minimal();
    WatchOptions o;
    o.hold_down = 10 * kSec;
    o.hysteresis = 0.0;
    SectionWatcher w(d, o);
    CHECK(feed(w, 10, 1, 1, 1, 1 * kSec).size() == 1);
    CHECK(feed(w, 1, 1, 1, 1, 2 * kSec).empty());
    CHECK(feed(w, 10, 1, 1, 1, 3 * kSec).empty());  // within 10 s of the first
    CHECK(feed(w, 1, 1, 1, 1, 12 * kSec).empty());
    CHECK(feed(w, 10, 1, 1, 1, 13 * kSec).size() == 1);
}

TEST_CASE("watch: jitter limits are checked on the sum of segment jitters") {
    Deployment d = minimal();
    SectionWatcher w(d, WatchOptions{});
    auto v = feed(w, 1, 1, 1, 1, 1 * kSec, /*jitter ms*/ 3);  // toupper section: 6 ms > 5 ms
    REQUIRE(v.size() == 1);
    CHECK(v[0].metric == "jitter");
    CHECK(v[0].measured == 6'000'000);
}

TEST_CASE("watch: latency and jitter crossing together are one violation") {
    Deployment d = minimal();
    SectionWatcher w(d, WatchOptions{});
    auto v = feed(w, 10, 1, 1, 1, 1 * kSec, /*jitter ms*/ 3);  // toupper: 11 ms and 6 ms
    REQUIRE(v.size() == 1);
    CHECK(v[0].section == "toupper");
    CHECK(v[0].metric == "latency");
    // Event-driven: the jitter crossing right after the latency one adds nothing.
    SectionWatcher e(d, WatchOptions{});
    json crossing = {{"type", "crossing"},  {"chain", "minimal"},    {"section", "toupper"},
                     {"metric", "latency"}, {"value_ns", 6'000'000}, {"segment", "s0-s1"},
                     {"ts", kSec}};
    CHECK(e.consume(crossing, kSec).size() == 1);
    crossing["metric"] = "jitter";
    CHECK(e.consume(crossing, kSec + 3'000'000).empty());
}

TEST_CASE("watch: a section with a missing segment is not evaluated, stale data expires") {
    Deployment d = minimal();
    SectionWatcher w(d, WatchOptions{});
    CHECK(w.consume(m("fn:toupper", 50, 0, kSec), kSec).empty());  // s0-s1 unknown yet
    CHECK_FALSE(w.section_sum("minimal", "toupper", "latency").has_value());
    auto v = w.consume(m("s0-s1", 1, 0, kSec), kSec);
    CHECK(v.size() == 1);
    // Much later data for one segment makes the other stale.
    w.consume(m("s0-s1", 1, 0, 100 * kSec), 100 * kSec);
    CHECK_FALSE(w.section_sum("minimal", "toupper", "latency").has_value());
}

TEST_CASE("watch: function exits and link-down violate the sections they are part of") {
    Deployment d = minimal();
    SectionWatcher w(d, WatchOptions{});
    auto v = w.consume({{"type", "function-exit"}, {"chain", "minimal"}, {"function", "echo"}},
                       5 * kSec);
    REQUIRE(v.size() == 1);  // only end-to-end contains fn:echo
    CHECK(v[0].section == "end-to-end");
    CHECK(v[0].metric == "availability");
    auto l = w.consume({{"type", "link-down"}, {"link", "s1-s0"}}, 6 * kSec);
    CHECK(l.size() == 2);  // toupper and end-to-end both cross s0-s1
    CHECK(l[0].worst->key() == "s1-s0");
}

TEST_CASE("watch: an event-driven crossing is reported at once, once") {
    Deployment d = minimal();
    SectionWatcher w(d, WatchOptions{});
    json crossing = {{"type", "crossing"},
                     {"chain", "minimal"},
                     {"section", "toupper"},
                     {"metric", "latency"},
                     {"value_ns", 6'000'000},
                     {"segment", "s0-s1"},
                     {"segment_value_ns", 5'500'000},
                     {"ts", kSec}};
    auto v = w.consume(crossing, kSec + 1000);
    REQUIRE(v.size() == 1);
    CHECK(v[0].detected_at - v[0].crossed_at == 1000);
    CHECK(v[0].worst->key() == "s0-s1");
    // The segment's own value, not the section's: what chima-relocate marks as degraded.
    CHECK(v[0].worst_value == 5'500'000);
    CHECK(w.consume(crossing, kSec + 2000).empty());
    // Coming back below is not a violation; it makes the section normal again.
    json below = crossing;
    below["direction"] = "below";
    CHECK(w.consume(below, 2 * kSec).empty());
}

TEST_CASE("watch: health events with ts_ns keep their own time") {
    Deployment d = minimal();
    SectionWatcher w(d, WatchOptions{});
    auto v = w.consume({{"type", "function-exit"},
                        {"chain", "minimal"},
                        {"function", "toupper"},
                        {"ts_ns", 3 * kSec}},
                       4 * kSec);
    REQUIRE(v.size() == 2);
    CHECK(v[0].crossed_at == 3 * kSec);
    CHECK(v[0].detected_at == 4 * kSec);
}

TEST_CASE("watch: after a relocation the new deployment's sections are watched") {
    std::string root = std::getenv("CHIMA_ROOT") ? std::getenv("CHIMA_ROOT") : CHIMA_DEFAULT_ROOT;
    std::string ex = root + "/examples/minimal/";
    Deployment before = minimal();
    Placement moved = parse_placement(
        "kind: chima.placement\nplacement: {changettl: s2, toupper: d2, changettl2: s4, echo: "
        "d4}\n",
        "moved.yaml");
    Deployment after = compose({load_topology(ex + "topology.yaml"),
                                load_service(ex + "service.yaml"),
                                moved,
                                {},
                                nullptr});
    WatchOptions o;
    o.hold_down = 0;
    SectionWatcher w(before, o);
    CHECK(feed(w, 10, 1, 1, 1, 1 * kSec).size() == 1);  // s0-s1 degraded: toupper section
    w.reload(after);
    // s0-s1 is no longer part of any section; s0-s2 is.
    CHECK(w.consume(m("s0-s1", 50, 0, 2 * kSec), 2 * kSec).empty());
    CHECK(w.consume(m("fn:toupper", 1, 0, 2 * kSec), 2 * kSec).empty());
    auto v = w.consume(m("s0-s2", 10, 0, 2 * kSec), 2 * kSec);
    REQUIRE(v.size() == 1);
    CHECK(v[0].section == "toupper");
    CHECK(v[0].worst->key() == "s0-s2");
}

TEST_CASE("file change: a replaced file is noticed once") {
    // A directory of its own: another run of this test (ctest -j, another checkout) uses its own.
    std::string dir_template =
        (std::filesystem::temp_directory_path() / "chima-file-change-XXXXXX").string();
    REQUIRE(::mkdtemp(dir_template.data()) != nullptr);
    const std::filesystem::path dir = dir_template;
    auto path = (dir / "deployment.json").string();
    write_file_atomic(path, "{}\n");
    FileChange probe(path);
    CHECK_FALSE(probe.changed());
    write_file_atomic(path, "{}\n");  // same bytes, a new inode: still a change
    CHECK(probe.changed());
    CHECK_FALSE(probe.changed());
    std::filesystem::remove(path);
    CHECK(probe.changed());
    std::filesystem::remove_all(dir);
}
