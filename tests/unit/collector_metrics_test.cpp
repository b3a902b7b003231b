// The collector's outputs without the kernel: the Prometheus exposition (checked by
// promtool when installed), the /metrics HTTP server, the listen-address syntax, and the
// JSON lines.
#include <doctest/doctest.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <unistd.h>

#include "chima/collector/collect_session.hpp"
#include "chima/collector/metrics_server.hpp"
#include "chima/collector/prometheus.hpp"
#include "chima/collector/sections.hpp"
#include "chima/error.hpp"
#include "skip.hpp"

using namespace chima::collector;

namespace {

MetricsSnapshot sample_snapshot() {
    MetricsSnapshot s;
    s.segments = {{"chain0", "s0-s1", 20'123'456.5, 1'500.25},
                  {"chain0", "toupper", 250'000, 0},
                  {"", "link:3-4", 1e3, 2e3},
                  {"we\"ird\\chain\nname", "x", 1, 1}};
    s.reports = 12345;
    s.malformed = {{"truncated", 2}, {"int_length", 0}};
    s.seq_gaps = 7;
    return s;
}

// Runs promtool on `text`; returns its exit status, or -1 when promtool is missing.
int promtool_check(const std::string& text, std::string& output) {
    if (access("/usr/bin/promtool", X_OK) != 0)
        return -1;
    char path[] = "/tmp/chima-metrics-XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    REQUIRE(write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    close(fd);
    std::string cmd = std::string("/usr/bin/promtool check metrics < ") + path + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    char buf[512];
    while (fgets(buf, sizeof(buf), p))
        output += buf;
    int status = pclose(p);
    unlink(path);
    return WEXITSTATUS(status);
}

}  // namespace

TEST_CASE("collector metrics: exposition text, one HELP/TYPE per family, base units") {
    std::string text = render_prometheus(sample_snapshot());
    CHECK(text.find("# TYPE chima_segment_latency_seconds gauge\n") != std::string::npos);
    CHECK(text.find(
              "chima_segment_latency_seconds{chain=\"chain0\",segment=\"s0-s1\"} 0.0201234565\n") !=
          std::string::npos);
    CHECK(text.find("chima_segment_jitter_seconds{chain=\"\",segment=\"link:3-4\"} 2e-06\n") !=
          std::string::npos);
    CHECK(text.find("chima_reports_total 12345\n") != std::string::npos);
    CHECK(text.find("chima_reports_malformed_total{reason=\"truncated\"} 2\n") !=
          std::string::npos);
    CHECK(text.find("chima_report_seq_gaps_total 7\n") != std::string::npos);
    CHECK(text.find("chain=\"we\\\"ird\\\\chain\\nname\"") != std::string::npos);
    for (const char* family :
         {"chima_segment_latency_seconds", "chima_segment_jitter_seconds", "chima_reports_total",
          "chima_reports_malformed_total", "chima_report_seq_gaps_total"}) {
        CAPTURE(family);
        std::string help = std::string("# HELP ") + family + " ";
        auto first = text.find(help);
        CHECK(first != std::string::npos);
        CHECK(text.find(help, first + 1) == std::string::npos);
    }
}

TEST_CASE("collector metrics: promtool accepts the exposition") {
    std::string output;
    int rc = promtool_check(render_prometheus(sample_snapshot()), output);
    if (chima::test::skip_without_dependency(rc != -1, "promtool"))
        return;
    CHECK_MESSAGE(rc == 0, output);
    CHECK(promtool_check(render_prometheus(MetricsSnapshot{}), output) == 0);
}

TEST_CASE("collector metrics: /metrics is served over HTTP with the text format's type") {
    MetricsServer server(ListenAddress{"127.0.0.1", 0}, [] { return std::string("chima_x 1\n"); });
    REQUIRE(server.port() != 0);
    httplib::Client client("127.0.0.1", server.port());
    auto res = client.Get("/metrics");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body == "chima_x 1\n");
    CHECK(res->get_header_value("Content-Type") == "text/plain; version=0.0.4");
    auto missing = client.Get("/nothing");
    REQUIRE(missing);
    CHECK(missing->status == 404);
}

TEST_CASE("collector metrics: listen addresses") {
    CHECK(parse_listen_address("9464").host == "127.0.0.1");
    CHECK(parse_listen_address("9464").port == 9464);
    CHECK(parse_listen_address(":9464").host == "127.0.0.1");
    auto any = parse_listen_address("0.0.0.0:80");
    CHECK(any.host == "0.0.0.0");
    CHECK(any.port == 80);
    CHECK_THROWS_AS(parse_listen_address("host:"), chima::InputError);
    CHECK_THROWS_AS(parse_listen_address("host:70000"), chima::InputError);
    CHECK_THROWS_AS(parse_listen_address("host:12x"), chima::InputError);
}

TEST_CASE("collector lines: measurement and crossing JSON") {
    SegmentReading reading;
    reading.key = link_segment(0, 1);
    reading.latency_ns = 20'000'000.4;
    reading.jitter_ns = 99.6;
    reading.samples = 42;
    auto m = nlohmann::json::parse(
        measurement_line(1'700'000'000'500'000'000, SegmentLabel{"chain0", "s0-s1"}, reading));
    CHECK(m["type"] == "measurement");
    CHECK(m["ts"] == 1'700'000'000'500'000'000);  // wall-clock ns
    CHECK(m["chain"] == "chain0");
    CHECK(m["segment"] == "s0-s1");
    CHECK(m["latency_ns"] == 20'000'000);
    CHECK(m["jitter_ns"] == 100);
    CHECK(m["samples"] == 42);

    WatchedSection section{"chain0", "front", 10'000'000, 0, {{link_segment(0, 1), "s0-s1"}}};
    SectionTable table({section});
    chima_collector_event e{};
    e.section = 1;
    e.metric = CHIMA_METRIC_LATENCY;
    e.above = 1;
    e.value_ns = 12'000'000;
    e.threshold_ns = 10'000'000;
    e.segment = link_segment(0, 1);
    e.segment_value_ns = 11'000'000;
    auto c = nlohmann::json::parse(crossing_line(1'000'000'000, e, table));
    CHECK(c["type"] == "crossing");
    CHECK(c["chain"] == "chain0");
    CHECK(c["section"] == "front");
    CHECK(c["metric"] == "latency");
    CHECK(c["direction"] == "above");
    CHECK(c["value_ns"] == 12'000'000);
    CHECK(c["segment"] == "s0-s1");
    CHECK(c["segment_value_ns"] == 11'000'000);

    // Names needing escapes survive the hand-written JSON.
    std::string odd = "q\"uo\\te\n\x01";
    auto escaped = nlohmann::json::parse(measurement_line(0, SegmentLabel{odd, "x"}, reading));
    CHECK(escaped["chain"] == odd);

    // One poll: a line per segment with samples, newline-terminated.
    SegmentReading idle;
    idle.key = link_segment(7, 8);
    std::string lines = measurement_lines(2'000'000'000, {reading, idle}, table);
    CHECK(std::count(lines.begin(), lines.end(), '\n') == 1);
    CHECK(nlohmann::json::parse(lines.substr(0, lines.find('\n')))["segment"] == "s0-s1");

    auto labels = table.labels(link_segment(5, 6));
    REQUIRE(labels.size() == 1);
    CHECK(labels[0].chain == "");
    CHECK(labels[0].segment == "link:5-6");
}
