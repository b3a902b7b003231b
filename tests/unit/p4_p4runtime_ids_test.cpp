// P4Runtime ids and names (chima/p4/p4runtime_info.hpp): the name hash, the type prefixes,
// collisions resolved in name order, @id reservations, aliases, and a function's entities
// at two slots named and numbered apart.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "chima/error.hpp"
#include "chima/p4/checker.hpp"
#include "chima/p4/p4runtime_info.hpp"

namespace fs = std::filesystem;
using namespace chima;
using namespace chima::p4;
using nlohmann::json;

namespace {

fs::path source_root() {
    return fs::path(CHIMA_TEST_DATA).parent_path().parent_path();
}

std::string read_text(const fs::path& p) {
    std::ifstream in(p);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Two names whose hashes agree in the low 24 bits (found by search, not written down).
std::pair<std::string, std::string> colliding_names() {
    std::map<uint32_t, std::string> seen;
    for (int i = 0;; ++i) {
        std::string name = "C.t" + std::to_string(i);
        uint32_t low = p4runtime_name_hash(name) & 0xffffff;
        auto [it, fresh] = seen.emplace(low, name);
        if (!fresh)
            return {it->second, name};
    }
}

CheckedFunction firewall() {
    FrontEndOptions fe;
    fe.include_dir = source_root() / "p4" / "include";
    Diagnostics diags;
    fs::path file = source_root() / "p4" / "functions" / "firewall.p4";
    auto fn = check_function(read_text(file), file.string(), "", fe, diags);
    REQUIRE(diags.empty());
    return fn;
}

}  // namespace

TEST_CASE("p4runtime ids: Jenkins one-at-a-time hash of the name") {
    // Published test vectors of the function.
    CHECK(p4runtime_name_hash("a") == 0xca2e9442u);
    CHECK(p4runtime_name_hash("The quick brown fox jumps over the lazy dog") == 0x519e91f5u);
    CHECK(p4runtime_name_hash("") == 0u);
}

TEST_CASE("p4runtime ids: the type prefix in the top byte, the hash in the low 24 bits") {
    P4IdAllocator ids;
    for (auto type : {P4IdPrefix::Action, P4IdPrefix::Table, P4IdPrefix::Counter,
                      P4IdPrefix::DirectCounter, P4IdPrefix::Register})
        ids.add(type, "ChimaIngress.x");
    ids.assign();
    uint32_t low = p4runtime_name_hash("ChimaIngress.x") & 0xffffff;
    CHECK(ids.id(P4IdPrefix::Action, "ChimaIngress.x") == (0x01000000u | low));
    CHECK(ids.id(P4IdPrefix::Table, "ChimaIngress.x") == (0x02000000u | low));
    CHECK(ids.id(P4IdPrefix::Counter, "ChimaIngress.x") == (0x12000000u | low));
    CHECK(ids.id(P4IdPrefix::DirectCounter, "ChimaIngress.x") == (0x13000000u | low));
    CHECK(ids.id(P4IdPrefix::Register, "ChimaIngress.x") == (0x16000000u | low));
    CHECK_THROWS_AS(ids.id(P4IdPrefix::Meter, "ChimaIngress.x"), InputError);
}

TEST_CASE("p4runtime ids: a collision goes to the name later in byte order, probed upwards") {
    auto [a, b] = colliding_names();
    std::string first = std::min(a, b), second = std::max(a, b);
    uint32_t low = p4runtime_name_hash(first) & 0xffffff;
    for (bool reversed : {false, true}) {  // the order of adding does not matter
        P4IdAllocator ids;
        ids.add(P4IdPrefix::Table, reversed ? second : first);
        ids.add(P4IdPrefix::Table, reversed ? first : second);
        ids.assign();
        CHECK(ids.id(P4IdPrefix::Table, first) == (0x02000000u | low));
        CHECK(ids.id(P4IdPrefix::Table, second) == (0x02000000u | ((low + 1) & 0xffffff)));
    }
    // Different types never collide.
    P4IdAllocator ids;
    ids.add(P4IdPrefix::Table, first);
    ids.add(P4IdPrefix::Action, second);
    ids.assign();
    CHECK((ids.id(P4IdPrefix::Action, second) & 0xffffff) == low);
}

TEST_CASE("p4runtime ids: @id ids are reserved first and hashed names probe past them") {
    uint32_t low = p4runtime_name_hash("C.t") & 0xffffff;
    P4IdAllocator ids;
    ids.add(P4IdPrefix::Table, "C.t");
    ids.reserve(P4IdPrefix::Table, "C.other", low);  // without prefix: the type's is added
    ids.reserve(P4IdPrefix::Action, "C.a", 0x01000005);
    ids.assign();
    CHECK(ids.id(P4IdPrefix::Table, "C.other") == (0x02000000u | low));
    CHECK(ids.id(P4IdPrefix::Table, "C.t") == (0x02000000u | ((low + 1) & 0xffffff)));
    CHECK(ids.id(P4IdPrefix::Action, "C.a") == 0x01000005u);
    P4IdAllocator bad;
    CHECK_THROWS_AS(bad.reserve(P4IdPrefix::Table, "C.x", 0x01000005), InputError);
    bad.reserve(P4IdPrefix::Table, "C.x", 7);
    CHECK_THROWS_AS(bad.reserve(P4IdPrefix::Table, "C.y", 0x02000007), InputError);
}

TEST_CASE("p4runtime ids: aliases are the shortest unique suffix") {
    std::vector<std::string> all = {"ChimaIngress.functions.fn_3.acl",
                                    "ChimaIngress.functions.fn_5.acl", "ChimaIngress.forwarding",
                                    "NoAction", "ChimaIngress.functions.fn_9.marks"};
    CHECK(p4runtime_alias(all[0], all) == "fn_3.acl");
    CHECK(p4runtime_alias(all[1], all) == "fn_5.acl");
    CHECK(p4runtime_alias(all[2], all) == "forwarding");
    CHECK(p4runtime_alias(all[3], all) == "NoAction");
    CHECK(p4runtime_alias(all[4], all) == "marks");
    // A name that is a suffix of another is its own alias.
    std::vector<std::string> nested = {"a.b", "x.a.b"};
    CHECK(p4runtime_alias("a.b", nested) == "a.b");
    CHECK(p4runtime_alias("x.a.b", nested) == "x.a.b");
}

TEST_CASE("p4runtime info: one function at two slots has distinct names and ids") {
    CheckedFunction fn = firewall();
    json at3 = p4runtime_info(fn, 3), at5 = p4runtime_info(fn, 5);
    const json& t3 = at3.at("tables").at(0);
    const json& t5 = at5.at("tables").at(0);
    CHECK(t3.at("preamble").at("name") == "ChimaIngress.functions.fn_3.acl");
    CHECK(t5.at("preamble").at("name") == "ChimaIngress.functions.fn_5.acl");
    CHECK(t3.at("preamble").at("id") != t5.at("preamble").at("id"));
    CHECK((t3.at("preamble").at("id").get<uint32_t>() >> 24) == 0x02);
    // Match fields as written in the key, with their widths and kinds.
    CHECK(t3.at("matchFields").at(0) == json({{"id", 1},
                                              {"name", "hdr.ipv4.src_addr"},
                                              {"bitwidth", 32},
                                              {"matchType", "TERNARY"}}));
    CHECK(t3.at("size") == "4096");
    // Action refs point at this slot's actions.
    std::map<std::string, uint32_t> actions3;
    for (const auto& a : at3.at("actions"))
        actions3[a.at("preamble").at("name")] = a.at("preamble").at("id");
    REQUIRE(actions3.count("ChimaIngress.functions.fn_3.deny"));
    CHECK(t3.at("actionRefs").at(0).at("id") == actions3["ChimaIngress.functions.fn_3.deny"]);
    // Together, every id is distinct (the merged program has both).
    P4rtEntities both = p4rt_entities_from_json(at3);
    both.merge(p4rt_entities_from_json(at5));
    json merged = p4runtime_info(both);
    std::set<uint32_t> seen;
    for (const char* list : {"tables", "actions"})
        for (const auto& e : merged.at(list))
            CHECK(seen.insert(e.at("preamble").at("id").get<uint32_t>()).second);
    CHECK(merged.at("tables").size() == 2);
}

TEST_CASE("p4runtime info: read back from JSON it is the same P4Info") {
    CheckedFunction fn = firewall();
    json info = p4runtime_info(fn, 7);
    CHECK(p4runtime_info(p4rt_entities_from_json(info)) == info);
}
