// The p4_device_config chima-agent takes: a round trip, and every refusal naming its place.
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "chima/base64.hpp"
#include "chima/content_hash.hpp"
#include "chima/error.hpp"
#include "chima/p4rt/device_config.hpp"

using chima::p4rt::DeviceConfig;
using chima::p4rt::parse_device_config;
using nlohmann::json;

namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string passthrough_object() {
    const char* dir = std::getenv("CHIMA_BPF_DIR");
    std::string path = std::string(dir ? dir : "build/bpf") + "/testfn_passthrough.bpf.o";
    std::string bytes = slurp(path);
    REQUIRE_MESSAGE(!bytes.empty(), "no " << path << " (the build makes it)");
    return bytes;
}

json function(uint32_t slot, const std::string& object) {
    return {{"slot", slot},
            {"name", "fn" + std::to_string(slot)},
            {"control", "passthrough"},
            {"program", ""},
            {"hash", chima::fnv1a_hex(object)},
            {"object_base64", chima::base64_encode(object)},
            {"p4info", {{"format", "chima-p4info-1"}, {"tables", json::array()},
                        {"actions", json::array()}}}};
}

void refused(const json& doc, const std::string& needle) {
    try {
        parse_device_config(doc.dump());
        FAIL("accepted: " << doc.dump().substr(0, 200));
    } catch (const chima::InputError& e) {
        CHECK_MESSAGE(std::string(e.what()).find(needle) != std::string::npos,
                      e.what() << " (expected to mention " << needle << ")");
    }
}

}  // namespace

TEST_CASE("p4rt device config: base64 round trips every length") {
    for (std::string s : {"", "a", "ab", "abc", "abcd", "\x00\xff\x10"})
        CHECK(chima::base64_decode(chima::base64_encode(s)) == s);
    CHECK(chima::base64_encode("any carnal pleas") == "YW55IGNhcm5hbCBwbGVhcw==");
    CHECK_FALSE(chima::base64_decode("abc").has_value());
    CHECK_FALSE(chima::base64_decode("ab=c").has_value());
    CHECK_FALSE(chima::base64_decode("a b=").has_value());
}

TEST_CASE("p4rt device config: a round trip keeps functions, slots and objects") {
    std::string object = passthrough_object();
    json doc = {{"format", "chima-device-config-1"},
                {"functions", {function(3, object), function(7, object)}}};
    DeviceConfig c = parse_device_config(doc.dump());
    REQUIRE(c.functions.size() == 2);
    CHECK(c.functions.at(3).object == object);
    CHECK(c.functions.at(7).name == "fn7");
    CHECK(c.functions.at(3).same_as(parse_device_config(chima::p4rt::device_config_bytes(c))
                                        .functions.at(3)));
    CHECK(parse_device_config("").functions.empty());
}

TEST_CASE("p4rt device config: bad documents are refused with their JSON path") {
    std::string object = passthrough_object();
    auto good = [&] {
        return json{{"format", "chima-device-config-1"}, {"functions", {function(3, object)}}};
    };
    CHECK_THROWS_AS(parse_device_config("{not json"), chima::InputError);
    json d = good();
    d["format"] = "other";
    refused(d, "/format");
    d = good();
    d["functions"][0]["slot"] = 0;
    refused(d, "/functions/0/slot");
    d = good();
    d["functions"][0]["slot"] = 64;
    refused(d, "/functions/0/slot");
    d = good();
    d["functions"].push_back(function(3, object));
    refused(d, "given twice");
    d = good();
    d["functions"][0]["name"] = "Bad Name";
    refused(d, "/functions/0/name");
    d = good();
    d["functions"][0]["object_base64"] = "!!!!";
    refused(d, "base64");
    d = good();
    d["functions"][0]["object_base64"] = chima::base64_encode("plain text, not an object");
    refused(d, "not an ELF");
    d = good();
    d["functions"][0]["hash"] = "0000000000000000";
    refused(d, "/functions/0/hash");
    d = good();
    d["functions"][0]["p4info"] = json::object();
    refused(d, "/functions/0/p4info");
}
