// The device config chima-compile writes for a switch's P4Runtime agent
// (chima/p4/device_config.hpp): base64 as RFC 4648 defines it, a round trip, and every bad
// field refused naming its JSON path.
#include <doctest/doctest.h>

#include <string>

#include "chima/base64.hpp"
#include "chima/content_hash.hpp"
#include "chima/error.hpp"
#include "chima/p4/device_config.hpp"

using namespace chima;
using nlohmann::json;

namespace {

p4::DeviceConfig sample() {
    p4::DeviceConfig c;
    c.template_name = "chima.p4";
    c.template_hash = "0123456789abcdef";
    for (uint32_t slot : {3u, 9u}) {
        p4::DeviceConfigFunction f;
        f.slot = slot;
        f.name = "chain/fn" + std::to_string(slot);
        f.control = "firewall";
        f.program = "chima_function";
        f.object = std::string(
                       "\x7f"
                       "ELF\0\x01\xff",
                       7) +
                   std::to_string(slot);
        f.hash = fnv1a_hex(f.object);
        f.p4info = {{"format", "chima-p4info-1"}, {"tables", json::array()}};
        f.p4runtime_info = {{"pkgInfo", {{"arch", "v1model"}}}};
        c.functions.push_back(f);
    }
    return c;
}

std::string error_of(const json& j) {
    try {
        p4::device_config_from_json(j);
    } catch (const InputError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("base64: the RFC 4648 test vectors, both ways") {
    const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                           {"f", "Zg=="},
                                                           {"fo", "Zm8="},
                                                           {"foo", "Zm9v"},
                                                           {"foob", "Zm9vYg=="},
                                                           {"fooba", "Zm9vYmE="},
                                                           {"foobar", "Zm9vYmFy"}};
    for (const auto& [plain, coded] : vectors) {
        CHECK(base64_encode(plain) == coded);
        CHECK(base64_decode(coded, "x") == plain);
    }
    std::string bytes;
    for (int i = 0; i < 256; ++i)
        bytes += static_cast<char>(i);
    CHECK(base64_decode(base64_encode(bytes), "x") == bytes);
    CHECK_THROWS_AS(base64_decode("Zm9", "x"), InputError);
    CHECK_THROWS_AS(base64_decode("Zm9*", "x"), InputError);
    CHECK_THROWS_AS(base64_decode("Z=9v", "x"), InputError);
    CHECK_THROWS_AS(base64_decode("Zg==Zg==", "x"), InputError);
}

TEST_CASE("device config: what is written reads back the same") {
    p4::DeviceConfig c = sample();
    json j = p4::to_json(c);
    CHECK(j.at("format") == "chima-device-config-1");
    p4::DeviceConfig back = p4::device_config_from_json(j);
    CHECK(back.template_hash == c.template_hash);
    REQUIRE(back.functions.size() == 2);
    CHECK(back.functions[1].slot == 9);
    CHECK(back.functions[1].object == c.functions[1].object);
    CHECK(back.functions[1].p4info == c.functions[1].p4info);
    CHECK(p4::to_json(back) == j);
}

TEST_CASE("device config: each bad field is refused by its path") {
    json good = p4::to_json(sample());
    auto with = [&](auto change) {
        json j = good;
        change(j);
        return error_of(j);
    };
    CHECK(with([](json& j) { j["format"] = "other"; }).find("/format") != std::string::npos);
    CHECK(with([](json& j) { j.erase("template"); }).find("/template is missing") !=
          std::string::npos);
    CHECK(with([](json& j) {
              j["functions"][1]["slot"] = 3;
          }).find("/functions/1/slot 3 appears twice") != std::string::npos);
    CHECK(with([](json& j) {
              j["functions"][0]["slot"] = 0;
          }).find("/functions/0/slot 0 is outside") != std::string::npos);
    CHECK(with([](json& j) { j["functions"][0]["slot"] = 64; }).find("outside 1..63") !=
          std::string::npos);
    CHECK(with([](json& j) {
              j["functions"][0]["slot"] = -1;
          }).find("/functions/0/slot has the wrong type") != std::string::npos);
    CHECK(with([](json& j) {
              j["functions"][1]["object_base64"] = "!!!!";
          }).find("/functions/1/object_base64") != std::string::npos);
    CHECK(with([](json& j) {
              j["functions"][1]["hash"] = "0000000000000000";
          }).find("/functions/1/hash does not match") != std::string::npos);
    CHECK(with([](json& j) {
              j["functions"][0]["p4info"] = "x";
          }).find("/functions/0/p4info has the wrong type") != std::string::npos);
    CHECK(with([](json&) {}).empty());
}

TEST_CASE("device config: a function's entries round-trip, are optional, and bad ones are named") {
    p4::DeviceConfig c = sample();
    p4::EntrySpec e;
    e.table = "acl";
    e.action = "deny";
    e.priority = 10;
    e.params = {7};
    e.keys.push_back({0x0a000001, 0xffffffff, -1, false});
    e.keys.push_back({0, 0, 0, true});
    e.keys.push_back({0x0a000000, ~0ULL, 24, false});
    c.functions[0].entries = {e};
    json j = p4::to_json(c);
    // Through text, as the agent gets it (unsigned numbers then).
    auto back = p4::device_config_from_json(json::parse(j.dump()));
    REQUIRE(back.functions[0].entries.size() == 1);
    const auto& r = back.functions[0].entries[0];
    CHECK(r.table == "acl");
    CHECK(r.action == "deny");
    CHECK(r.priority == 10);
    CHECK(r.params == std::vector<uint64_t>{7});
    REQUIRE(r.keys.size() == 3);
    CHECK(r.keys[0].value == 0x0a000001);
    CHECK(r.keys[0].prefix_len == -1);
    CHECK(r.keys[1].wildcard);
    CHECK(r.keys[2].prefix_len == 24);
    CHECK(back.functions[1].entries.empty());
    CHECK(p4::to_json(back) == j);

    json without = j;
    without["functions"][0].erase("entries");
    CHECK(p4::device_config_from_json(without).functions[0].entries.empty());
    json bad = j;
    bad["functions"][0]["entries"][0]["params"][0] = -1;
    CHECK(error_of(bad).find("/functions/0/entries/0/params/0") != std::string::npos);
    bad = j;
    bad["functions"][0]["entries"][0]["keys"][0].erase("mask");
    CHECK(error_of(bad).find("/functions/0/entries/0/keys/0/mask") != std::string::npos);
}
