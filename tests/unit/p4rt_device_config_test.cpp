// What chima-agent checks in a p4_device_config beyond its format (p4_device_config_test):
// a JSON document at all, and objects that are BPF objects.
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "chima/base64.hpp"
#include "chima/content_hash.hpp"
#include "chima/error.hpp"
#include "chima/p4rt/device_config.hpp"

using chima::p4rt::parse_device_config;
using nlohmann::json;

namespace {

std::string passthrough_object() {
    const char* dir = std::getenv("CHIMA_BPF_DIR");
    std::string path = std::string(dir ? dir : CHIMA_TEST_BPF_DIR) + "/testfn_passthrough.bpf.o";
    std::ifstream in(path, std::ios::binary);
    std::string bytes{std::istreambuf_iterator<char>(in), {}};
    REQUIRE_MESSAGE(!bytes.empty(), "no " << path << " (the build makes it)");
    return bytes;
}

json config_of(const std::string& object) {
    chima::p4::DeviceConfig c;
    c.template_name = "chima.p4";
    c.template_hash = "0000000000000000";
    chima::p4::DeviceConfigFunction f;
    f.slot = 3;
    f.name = "chain/fn";
    f.control = "passthrough";
    f.program = "";
    f.object = object;
    f.hash = chima::fnv1a_hex(object);
    f.p4info = {{"format", "chima-p4info-1"}, {"tables", json::array()}};
    f.p4runtime_info = json::object();
    c.functions.push_back(f);
    return chima::p4::to_json(c);
}

}  // namespace

TEST_CASE("p4rt device config: functions by slot, objects that are BPF objects only") {
    std::string object = passthrough_object();
    auto c = parse_device_config(config_of(object).dump());
    REQUIRE(c.functions.count(3) == 1);
    CHECK(c.functions.at(3).object == object);
    CHECK(chima::p4rt::same_function(c.functions.at(3), c.functions.at(3)));
    CHECK(parse_device_config("").functions.empty());

    CHECK_THROWS_AS(parse_device_config("{not json"), chima::InputError);
    CHECK_THROWS_AS(parse_device_config("[1, 2]"), chima::InputError);
    for (std::string bad : {std::string("plain text, not an object"), std::string("\x7f"
                                                                                  "ELF") +
                                                                          std::string(60, '\0')}) {
        try {
            parse_device_config(config_of(bad).dump());
            FAIL("accepted a non-BPF object");
        } catch (const chima::InputError& e) {
            CHECK(std::string(e.what()).find("/functions/0/object_base64") != std::string::npos);
        }
    }
}
