// Impairment values: parsing of --loss and --rate, and the delay-line alias round trip.
#include <doctest/doctest.h>

#include "chima/error.hpp"
#include "chima/net/impairment.hpp"
#include "chima/net/names.hpp"

using namespace chima::net;
using namespace std::chrono_literals;

TEST_CASE("net: loss accepts a fraction or a percentage") {
    CHECK(parse_loss("1%") == doctest::Approx(0.01));
    CHECK(parse_loss("0.25") == doctest::Approx(0.25));
    CHECK(parse_loss("100%") == doctest::Approx(1.0));
    CHECK_FALSE(parse_loss("101%").has_value());
    CHECK_FALSE(parse_loss("-1%").has_value());
    CHECK_FALSE(parse_loss("1 %").has_value());
    CHECK_FALSE(parse_loss("lots").has_value());
}

TEST_CASE("net: rate takes SI bit units") {
    CHECK(parse_rate("10mbit") == 10'000'000u);
    CHECK(parse_rate("1.5gbit") == 1'500'000'000u);
    CHECK(parse_rate("64000") == 64'000u);
    CHECK(parse_rate("500kbit") == 500'000u);
    CHECK_FALSE(parse_rate("10mbps").has_value());  // tc's bps means bytes: refuse the doubt
    CHECK_FALSE(parse_rate("-1bit").has_value());
}

TEST_CASE("net: delay-line settings survive the interface-alias round trip") {
    Impairment imp{.delay = 20ms, .jitter = 150us, .loss = 0.015, .rate_bps = 8'000'000};
    CHECK(parse_impairment(to_string(imp)) == imp);
    CHECK_THROWS_AS(parse_impairment("delay=1ms"), chima::RuntimeError);
    CHECK_THROWS_AS(check_impairment({.loss = 2}), chima::InputError);
    CHECK_THROWS_AS(check_impairment({.delay = -1ms}), chima::InputError);
}

TEST_CASE("net: namespace names keep networks apart") {
    CHECK(node_netns("demo", "s0") == "chima.demo.s0");
    CHECK(delay_line_netns("demo", "s1", "p0") == "chima.demo.dl.s1.p0");
    CHECK(pin_dir("demo") == "/sys/fs/bpf/chima/demo");
    // "chima.a." is not a prefix of any name of network "a-b".
    CHECK(node_netns("a-b", "x").rfind(netns_prefix("a"), 0) != 0);
    CHECK_THROWS_AS(check_net_name("a.b"), chima::InputError);
    CHECK_THROWS_AS(check_ifname("a/b"), chima::InputError);
    CHECK_THROWS_AS(check_ifname("sixteen-chars-xx"), chima::InputError);
    CHECK_NOTHROW(check_ifname("fifteen-chars-x"));
}
