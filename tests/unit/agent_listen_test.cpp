// chima-agent's listeners: address parsing and the rule that only loopback goes without TLS.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "chima/agent/listen_address.hpp"
#include "chima/agent/switch_node.hpp"
#include "chima/error.hpp"

using namespace chima::agent;

TEST_CASE("agent listen address: forms and refusals") {
    auto a = parse_listen_address("0.0.0.0:9559", 1);
    CHECK(a.host == "0.0.0.0");
    CHECK(a.port == 9559);
    CHECK(parse_listen_address("10.1.2.3", 9560).port == 9560);
    CHECK(parse_listen_address(":0", 9559).host == "127.0.0.1");
    CHECK(parse_listen_address("localhost:1", 9559).host == "127.0.0.1");
    auto v6 = parse_listen_address("[::1]:50051", 9559);
    CHECK(v6.host == "::1");
    CHECK(v6.str() == "[::1]:50051");
    CHECK_THROWS_AS(parse_listen_address("::1:5", 1), chima::InputError);
    CHECK_THROWS_AS(parse_listen_address("1.2.3.4:70000", 1), chima::InputError);
    CHECK_THROWS_AS(parse_listen_address("example.org:1", 1), chima::InputError);
    CHECK_THROWS_AS(parse_listen_address("1.2.3.4:", 1), chima::InputError);
    CHECK_THROWS_AS(parse_listen_address("[::1", 1), chima::InputError);
}

TEST_CASE("agent listen address: loopback only, unless TLS or --insecure") {
    CHECK(is_loopback("127.0.0.1"));
    CHECK(is_loopback("127.9.9.9"));
    CHECK(is_loopback("::1"));
    CHECK_FALSE(is_loopback("0.0.0.0"));
    CHECK_FALSE(is_loopback("10.0.0.1"));
    CHECK_FALSE(is_loopback("::"));
    auto any = parse_listen_address("0.0.0.0:9559", 1);
    CHECK_THROWS_AS(require_secure_listener("--listen", any, std::nullopt, false),
                    chima::InputError);
    CHECK_NOTHROW(require_secure_listener("--listen", any, std::nullopt, true));
    CHECK_NOTHROW(
        require_secure_listener("--listen", parse_listen_address("127.0.0.1:1", 1), {}, false));
    // TLS files must all be given, and readable.
    CHECK_FALSE(tls_files_from_flags("", "", "").has_value());
    CHECK_THROWS_AS(tls_files_from_flags("c.pem", "", "ca.pem"), chima::InputError);
    auto missing = tls_files_from_flags("/nonexistent/c.pem", "/nonexistent/k.pem", "/x");
    CHECK_THROWS_AS(require_secure_listener("--listen", any, missing, false), chima::InputError);
}

TEST_CASE("agent switch ports: lists, numbers and refusals") {
    auto p = parse_switch_ports("p1,p2,p3");
    REQUIRE(p.size() == 3);
    CHECK(p[0].number == 1);
    CHECK(p[2].ifname == "p3");
    auto q = parse_switch_ports("5=eth0,eth1");
    CHECK(q[0].number == 5);
    CHECK(q[1].number == 6);
    CHECK_THROWS_AS(parse_switch_ports(""), chima::InputError);
    CHECK_THROWS_AS(parse_switch_ports("a,,b"), chima::InputError);
    CHECK_THROWS_AS(parse_switch_ports("a,b,"), chima::InputError);
    CHECK_THROWS_AS(parse_switch_ports("a,a"), chima::InputError);
    CHECK_THROWS_AS(parse_switch_ports("2=a,1=b,c"), chima::InputError);  // c is port 2 again
    CHECK_THROWS_AS(parse_switch_ports("0=a"), chima::InputError);
    CHECK_THROWS_AS(parse_switch_ports("64=a"), chima::InputError);
    CHECK_THROWS_AS(parse_switch_ports("a/b"), chima::InputError);
    CHECK_THROWS_AS(parse_switch_ports("averyveryverylongname"), chima::InputError);
}
