// P4Info of every example function compared as data with tests/data/p4/golden/*.json
// (regenerate with CHIMA_UPDATE_GOLDEN=1: the goldens that differ are rewritten and the run
// fails naming them, so an update is never mistaken for a pass), and the entry encoder
// against the layout it documents.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "chima/p4/checker.hpp"
#include "chima/p4/entries.hpp"
#include "chima/p4/layout.hpp"

namespace fs = std::filesystem;
using namespace chima::p4;

namespace {

fs::path root() {
    return fs::path(CHIMA_TEST_DATA).parent_path().parent_path();
}

FrontEndOptions options() {
    FrontEndOptions o;
    o.include_dir = root() / "p4" / "include";
    return o;
}

nlohmann::json p4info_of(const fs::path& file) {
    auto fn = check_function_file(file, "", options());
    return p4info_json(layout_function(fn), fn);
}

}  // namespace

TEST_CASE("p4info: example functions match their golden JSON") {
    bool update = std::getenv("CHIMA_UPDATE_GOLDEN") != nullptr;
    std::vector<std::string> rewritten;
    int n = 0;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(root() / "p4" / "functions"))
        files.push_back(e.path());
    files.push_back(fs::path(CHIMA_TEST_DATA) / "p4" / "fn" / "lpm_router.p4");
    for (const auto& f : files) {
        if (f.extension() != ".p4")
            continue;
        ++n;
        nlohmann::json got = p4info_of(f);
        fs::path golden =
            fs::path(CHIMA_TEST_DATA) / "p4" / "golden" / (f.stem().string() + ".json");
        std::ifstream in(golden);
        nlohmann::json want = in.good() ? nlohmann::json::parse(in) : nlohmann::json();
        if (update && got != want) {
            std::ofstream(golden) << got.dump(2) << "\n";
            rewritten.push_back(golden.filename().string());
            continue;
        }
        REQUIRE_MESSAGE(!want.is_null(), "missing golden " << golden << " (CHIMA_UPDATE_GOLDEN=1)");
        INFO(f.filename().string() << " differs: " << nlohmann::json::diff(want, got).dump());
        CHECK(got == want);
    }
    CHECK(n >= 8);
    std::string names;
    for (const auto& r : rewritten)
        names += " " + r;
    CHECK_MESSAGE(rewritten.empty(), "CHIMA_UPDATE_GOLDEN rewrote"
                                         << names
                                         << ": review the diff, then run again without it");
}

TEST_CASE("p4info entries: exact key/value bytes follow the documented layout") {
    auto info = p4info_of(root() / "p4" / "functions" / "dscp_marker.p4");
    const auto& t = info["tables"][0];
    CHECK(t["kind"] == "exact");
    CHECK(t["key_size"] == 8);  // u32 dst_addr @0, u8 protocol @4, padded to 8
    EncodedEntry e = encode_entry(info, {"marks", {{0x0a000002}, {6}}, "set_dscp", {46}, 0});
    CHECK(e.map == "tbl_marks");
    std::vector<uint8_t> key = {0x02, 0x00, 0x00, 0x0a, 6, 0, 0, 0};
    CHECK(e.key == key);
    REQUIRE(e.value.size() == 16);
    CHECK(e.value[0] == 1);   // action id of set_dscp
    CHECK(e.value[8] == 46);  // its bit<6> parameter at offset 8
    CHECK_THROWS_AS(encode_entry(info, {"marks", {{1}, {6}}, "set_dscp", {64}, 0}),
                    chima::InputError);
    CHECK_THROWS_AS(encode_entry(info, {"marks", {{1}}, "set_dscp", {1}, 0}), chima::InputError);
    CHECK_THROWS_AS(encode_entry(info, {"marks", {{1}, {256}}, "set_dscp", {1}, 0}),
                    chima::InputError);
    CHECK_THROWS_AS(encode_entry(info, {"marks", {{1}, {6}}, "nope", {}, 0}), chima::InputError);
}

TEST_CASE("p4info entries: lpm keys are big-endian with the prefix length first") {
    auto info = p4info_of(fs::path(CHIMA_TEST_DATA) / "p4" / "fn" / "lpm_router.p4");
    KeyMatch dst{0x0a010000, ~0ULL, 16, false};
    EncodedEntry e = encode_entry(info, {"routes", {dst, {17}}, "to_port", {3}, 0});
    // prefixlen = 8 (exact protocol, first) + 16; data = proto, then the address big-endian
    std::vector<uint8_t> key = {24, 0, 0, 0, 17, 0x0a, 0x01, 0x00, 0x00};
    CHECK(e.key == key);
}

TEST_CASE("p4info entries: ternary keys are masked and carry their mask for the masks map") {
    auto info = p4info_of(root() / "p4" / "functions" / "firewall.p4");
    KeyMatch any{0, 0, -1, true};
    KeyMatch src{0x0a0100ff, 0xffff0000, -1, false};
    EncodedEntry e = encode_entry(info, {"acl", {src, any, {17}, any, any}, "deny", {}, 7});
    CHECK(e.masks_map == "msk_acl");
    CHECK(e.key[4] == 0x00);  // the value is stored masked
    CHECK(e.key[6] == 0x01);
    CHECK(e.mask[0] == 1);     // slot in use
    CHECK(e.mask[6] == 0xff);  // mask bytes of src
    CHECK(e.mask[4] == 0x00);
    CHECK(e.value[4] == 7);  // priority
}

TEST_CASE("p4info: parameter widths see through typedefs of typedefs") {
    auto info = p4info_of(fs::path(CHIMA_TEST_DATA) / "p4" / "good" / "nested_typedef_param.p4");
    CHECK(info["actions"][0]["params"][0]["width"] == 48);
    CHECK(info["actions"][0]["params"][0]["size"] == 8);
    CHECK(info["tables"][0]["keys"][0]["width"] == 48);
}
