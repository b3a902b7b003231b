// What chima-collect watches for a deployment: its SLA sections as collector sections.
#include <doctest/doctest.h>

#include "chima/collector/deployment_sections.hpp"
#include "chima/collector/report_decoder.hpp"

using namespace chima::collector;

TEST_CASE("collector: deployment sections become watched sections") {
    chima::Deployment d;
    chima::Section s;
    s.chain = "chain0";
    s.name = "toupper";
    s.sla.latency = 5'000'000;
    s.sla.jitter = 1'000'000;
    chima::Segment link;
    link.kind = chima::SegmentKind::Link;
    link.a = "s0";
    link.b = "s11";
    link.a_id = 0;
    link.b_id = 11;
    chima::Segment fn;
    fn.kind = chima::SegmentKind::Function;
    fn.function = "toupper";
    fn.function_id = 101;
    s.segments = {link, fn};
    d.sections = {s};
    chima::ChainInfo c1, c2;
    c1.name = "chain0";
    c1.alpha = 0.25;
    c1.poll = 200'000'000;
    c2.name = "chain1";
    c2.alpha = 0.25;
    c2.poll = 50'000'000;
    d.chains = {c1, c2};

    auto sections = sections_from_deployment(d);
    REQUIRE(sections.size() == 1);
    CHECK(sections[0].chain == "chain0");
    CHECK(sections[0].name == "toupper");
    CHECK(sections[0].latency_threshold_ns == 5'000'000);
    CHECK(sections[0].jitter_threshold_ns == 1'000'000);
    REQUIRE(sections[0].segments.size() == 2);
    CHECK(sections[0].segments[0].key == link_segment(0, 11));
    CHECK(sections[0].segments[0].name == "s0-s11");
    CHECK(sections[0].segments[1].key == function_segment(101));
    CHECK(sections[0].segments[1].name == "fn:toupper");

    CollectOptions options;
    defaults_from_deployment(d, options, false, false);
    CHECK(options.alpha == 0.25);
    CHECK(options.poll.count() == 50);
    CollectOptions given;
    given.alpha = 0.5;
    defaults_from_deployment(d, given, true, true);
    CHECK(given.alpha == 0.5);
    CHECK(given.poll.count() == 100);
}
