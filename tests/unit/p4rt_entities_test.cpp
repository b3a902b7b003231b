// P4Runtime entities without a switch: binding a P4Info (the template's as chima-compile's
// generator writes it, plus a function's) and every refusal of a write with the code the
// specification assigns, nothing changed.
#include <doctest/doctest.h>

#include "chima/p4rt/entities.hpp"
#include "p4rt_p4info.hpp"

using namespace chima;
using namespace chima::test;
using grpc::StatusCode;
using ::p4::v1::Update;

namespace {

// A function's chima-p4info-1 as chima-compile writes it: a ternary ACL, a const table,
// a counter and a register.
nlohmann::json function_p4info() {
    return nlohmann::json::parse(R"({
      "format": "chima-p4info-1", "function": "fw", "program": "chima_function",
      "actions": [
        {"id": 1, "name": "mark", "params": [{"name": "dscp", "width": 6, "offset": 8, "size": 1, "byte_order": "host"}]},
        {"id": 2, "name": "NoAction", "params": []}],
      "tables": [
        {"id": 1, "name": "acl", "kind": "ternary", "map": "tbl_acl", "masks_map": "msk_acl",
         "max_masks": 32, "size": 64, "key_size": 8, "value_size": 16,
         "keys": [
           {"name": "hdr.ipv4.dst_addr", "match": "ternary", "width": 32, "offset": 4, "size": 4, "byte_order": "host", "p4_index": 0},
           {"name": "local_metadata.l4_dst_port", "match": "ternary", "width": 16, "offset": 8, "size": 2, "byte_order": "host", "p4_index": 1}],
         "action_ids": [1, 2], "default_action": {"id": 2, "args": []}, "const_entries": []},
        {"id": 2, "name": "classify", "kind": "exact", "map": "tbl_classify", "size": 4,
         "key_size": 1, "value_size": 16,
         "keys": [{"name": "hdr.ipv4.protocol", "match": "exact", "width": 8, "offset": 0, "size": 1, "byte_order": "host", "p4_index": 0}],
         "action_ids": [1], "default_action": {"id": 1, "args": [7]},
         "const_entries": [{"priority": 2, "keys": [{"value": 6}], "action": "mark", "params": [3]},
                           {"priority": 1, "keys": [{"value": 17}], "action": "mark", "params": [4]}]}],
      "counters": [{"name": "hits", "map": "cnt_hits", "size": 8, "type": "packets_and_bytes", "per_cpu": true}],
      "registers": [{"name": "last", "map": "reg_last", "width": 16, "value_size": 2, "size": 4}]
    })");
}

struct Fixture {
    P4InfoBuilder p4;
    std::map<uint32_t, p4rt::SlotFunction> slots;
    p4rt::Entities entities{nullptr};
    uint32_t fwd, fwd_dst, acl, classify, mark, forward, drop, hits, last;

    Fixture() {
        p4.add_template();
        p4.add_function(3, function_p4info());
        slots[3] = {3, "fw", function_p4info()};
        entities.bind(p4.info, slots);
        fwd = p4.id_of("ChimaIngress.forwarding");
        fwd_dst = p4.field_id("ChimaIngress.forwarding", "hdr.ipv4.dst_addr");
        acl = p4.id_of("ChimaIngress.functions.fn_3.acl");
        classify = p4.id_of("ChimaIngress.functions.fn_3.classify");
        mark = p4.id_of("ChimaIngress.functions.fn_3.mark");
        forward = p4.id_of("ChimaIngress.forward");
        drop = p4.id_of("ChimaIngress.drop");
        hits = p4.id_of("ChimaIngress.functions.fn_3.hits");
        last = p4.id_of("ChimaIngress.functions.fn_3.last");
    }

    std::vector<::p4::v1::Entity> read(const ::p4::v1::Entity& request) {
        std::vector<::p4::v1::Entity> out;
        entities.read(request, [&](::p4::v1::Entity&& e) { out.push_back(std::move(e)); });
        return out;
    }
    std::vector<::p4::v1::Entity> read_all_tables() {
        ::p4::v1::Entity all;
        all.mutable_table_entry();
        return read(all);
    }
};

StatusCode code_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const p4rt::P4rtError& e) {
        return e.code;
    }
    return StatusCode::OK;
}

StatusCode bind_code(const P4InfoBuilder& p4, const std::map<uint32_t, p4rt::SlotFunction>& s) {
    p4rt::Entities e(nullptr);
    return code_of([&] { e.bind(p4.info, s); });
}

}  // namespace

TEST_CASE("p4rt: a P4Info that maps onto nothing, or disagrees, is refused") {
    std::map<uint32_t, p4rt::SlotFunction> slots{{3, {3, "fw", function_p4info()}}};
    {
        P4InfoBuilder p4;
        p4.add_template();
        p4.add_function(3, function_p4info());
        CHECK(bind_code(p4, slots) == StatusCode::OK);
        CHECK(bind_code(p4, {}) == StatusCode::INVALID_ARGUMENT);  // no function in slot 3
    }
    {
        P4InfoBuilder p4;
        p4.table("ChimaIngress.nowhere", {{"hdr.ipv4.dst_addr", 32, cfgv1::MatchField::EXACT}},
                 {p4.action("NoAction")}, 4);
        p4rt::Entities e(nullptr);
        try {
            e.bind(p4.info, {});
            FAIL("bound");
        } catch (const p4rt::P4rtError& err) {
            CHECK(err.code == StatusCode::INVALID_ARGUMENT);
            CHECK(std::string(err.what()).find("ChimaIngress.nowhere") != std::string::npos);
        }
    }
    {
        P4InfoBuilder p4;  // the template alone, exactly as the generator writes it
        p4.add_template();
        CHECK(bind_code(p4, {}) == StatusCode::OK);
    }
    {
        P4InfoBuilder p4;  // the template's forwarding table with a 16-bit key
        p4.add_template();
        for (auto& t : *p4.info.mutable_tables())
            if (t.preamble().name() == "ChimaIngress.forwarding")
                t.mutable_match_fields(0)->set_bitwidth(16);
        CHECK(bind_code(p4, {}) == StatusCode::INVALID_ARGUMENT);
    }
    // Any other width of any template table's key, or of a parameter of its actions, is
    // refused, naming the table: the bindings compare every field and parameter.
    const cfgv1::P4Info& tmpl = template_p4info();
    REQUIRE(tmpl.tables_size() > 0);
    for (int t = 0; t < tmpl.tables_size(); ++t) {
        const std::string& name = tmpl.tables(t).preamble().name();
        CAPTURE(name);
        for (int f = 0; f < tmpl.tables(t).match_fields_size(); ++f) {
            P4InfoBuilder p4;
            p4.add_template();
            auto* field = p4.info.mutable_tables(t)->mutable_match_fields(f);
            field->set_bitwidth(field->bitwidth() + 1);
            p4rt::Entities e(nullptr);
            try {
                e.bind(p4.info, {});
                FAIL("bound with " << field->name() << " one bit wider");
            } catch (const p4rt::P4rtError& err) {
                CHECK(err.code == StatusCode::INVALID_ARGUMENT);
                CHECK(std::string(err.what()).find(name) != std::string::npos);
            }
        }
        for (const auto& ref : tmpl.tables(t).action_refs()) {
            for (int a = 0; a < tmpl.actions_size(); ++a) {
                if (tmpl.actions(a).preamble().id() != ref.id())
                    continue;
                for (int i = 0; i < tmpl.actions(a).params_size(); ++i) {
                    P4InfoBuilder p4;
                    p4.add_template();
                    auto* param = p4.info.mutable_actions(a)->mutable_params(i);
                    param->set_bitwidth(param->bitwidth() + 1);
                    CAPTURE(param->name());
                    CHECK(bind_code(p4, {}) == StatusCode::INVALID_ARGUMENT);
                }
            }
        }
    }
    {
        P4InfoBuilder p4;  // a function's parameter with another width
        nlohmann::json other = function_p4info();
        other["actions"][0]["params"][0]["width"] = 8;
        p4.add_function(3, other);
        CHECK(bind_code(p4, slots) == StatusCode::INVALID_ARGUMENT);
    }
    {
        P4InfoBuilder p4;  // a function's table the function does not have
        nlohmann::json other = function_p4info();
        other["tables"][0]["name"] = "acl2";
        p4.add_function(3, other);
        CHECK(bind_code(p4, slots) == StatusCode::INVALID_ARGUMENT);
    }
}

TEST_CASE("p4rt: writes and reads before a pipeline config are FAILED_PRECONDITION") {
    p4rt::Entities e(nullptr);
    Update u;
    u.set_type(Update::INSERT);
    u.mutable_entity()->mutable_table_entry()->set_table_id(1);
    CHECK(code_of([&] { e.write(u); }) == StatusCode::FAILED_PRECONDITION);
    CHECK(code_of([&] { e.read(u.entity(), [](::p4::v1::Entity&&) {}); }) ==
          StatusCode::FAILED_PRECONDITION);
}

TEST_CASE("p4rt: every malformed table write gets the specification's code, nothing changes") {
    Fixture f;
    auto before = f.read_all_tables();
    CHECK(before.size() == 2);  // the const entries of classify
    using MF = EntryBuilder;
    struct Case {
        const char* what;
        Update update;
        StatusCode code;
    };
    std::vector<Case> cases = {
        {"unknown table",
         MF(0x02ffffff).exact(1, "\x06").action(f.mark, {"\x01"}).update(Update::INSERT),
         StatusCode::INVALID_ARGUMENT},
        {"unknown field id",
         MF(f.fwd).lpm(9, be(0x0a000000, 4), 8).action(f.forward, {"\x02"}).update(Update::INSERT),
         StatusCode::INVALID_ARGUMENT},
        {"duplicate field",
         MF(f.fwd)
             .lpm(f.fwd_dst, be(0x0a000000, 4), 8)
             .lpm(f.fwd_dst, be(0x0a000000, 4), 8)
             .action(f.forward, {"\x02"})
             .update(Update::INSERT),
         StatusCode::INVALID_ARGUMENT},
        {"value wider than the field",
         MF(f.fwd)
             .lpm(f.fwd_dst, be(0x10a000000, 5), 8)
             .action(f.forward, {"\x02"})
             .update(Update::INSERT),
         StatusCode::OUT_OF_RANGE},
        {"empty value",
         MF(f.fwd).lpm(f.fwd_dst, "", 8).action(f.forward, {"\x02"}).update(Update::INSERT),
         StatusCode::OUT_OF_RANGE},
        {"prefix longer than the field",
         MF(f.fwd)
             .lpm(f.fwd_dst, be(0x0a000000, 4), 33)
             .action(f.forward, {"\x02"})
             .update(Update::INSERT),
         StatusCode::INVALID_ARGUMENT},
        {"bits past the prefix",
         MF(f.fwd)
             .lpm(f.fwd_dst, be(0x0a000001, 4), 24)
             .action(f.forward, {"\x02"})
             .update(Update::INSERT),
         StatusCode::INVALID_ARGUMENT},
        {"prefix 0 not omitted",
         MF(f.fwd).lpm(f.fwd_dst, be(0, 4), 0).action(f.forward, {"\x02"}).update(Update::INSERT),
         StatusCode::INVALID_ARGUMENT},
        {"priority on an lpm table",
         MF(f.fwd)
             .lpm(f.fwd_dst, be(0x0a000000, 4), 8)
             .priority(5)
             .action(f.forward, {"\x02"})
             .update(Update::INSERT),
         StatusCode::INVALID_ARGUMENT},
        {"ternary without priority",
         MF(f.acl)
             .ternary(1, be(0x0a000001, 4), be(0xffffffff, 4))
             .action(f.mark, {"\x01"})
             .update(Update::INSERT),
         StatusCode::INVALID_ARGUMENT},
        {"mask bits outside the value",
         MF(f.acl)
             .ternary(1, be(0x0a000001, 4), be(0xffffff00, 4))
             .priority(1)
             .action(f.mark, {"\x01"})
             .update(Update::INSERT),
         StatusCode::INVALID_ARGUMENT},
        {"mask 0 not omitted",
         MF(f.acl)
             .ternary(1, be(0, 4), be(0, 4))
             .priority(1)
             .action(f.mark, {"\x01"})
             .update(Update::INSERT),
         StatusCode::INVALID_ARGUMENT},
        {"wrong match kind",
         MF(f.acl).exact(1, be(1, 4)).priority(1).action(f.mark, {"\x01"}).update(Update::INSERT),
         StatusCode::INVALID_ARGUMENT},
        {"action of another table",
         MF(f.fwd)
             .lpm(f.fwd_dst, be(0x0a000000, 4), 8)
             .action(f.mark, {"\x01"})
             .update(Update::INSERT),
         StatusCode::INVALID_ARGUMENT},
        {"unknown action",
         MF(f.fwd).lpm(f.fwd_dst, be(0x0a000000, 4), 8).action(0x01ffffff).update(Update::INSERT),
         StatusCode::INVALID_ARGUMENT},
        {"missing parameter",
         MF(f.fwd).lpm(f.fwd_dst, be(0x0a000000, 4), 8).action(f.forward).update(Update::INSERT),
         StatusCode::INVALID_ARGUMENT},
        {"extra parameter",
         MF(f.fwd)
             .lpm(f.fwd_dst, be(0x0a000000, 4), 8)
             .action(f.forward, {"\x02", "\x03"})
             .update(Update::INSERT),
         StatusCode::INVALID_ARGUMENT},
        {"parameter wider than bit<9>",
         MF(f.fwd)
             .lpm(f.fwd_dst, be(0x0a000000, 4), 8)
             .action(f.forward, {be(0x200, 2)})
             .update(Update::INSERT),
         StatusCode::OUT_OF_RANGE},
        {"no action on INSERT",
         MF(f.fwd).lpm(f.fwd_dst, be(0x0a000000, 4), 8).update(Update::INSERT),
         StatusCode::INVALID_ARGUMENT},
        {"MODIFY of a missing entry",
         MF(f.fwd)
             .lpm(f.fwd_dst, be(0x0a000000, 4), 8)
             .action(f.forward, {"\x02"})
             .update(Update::MODIFY),
         StatusCode::NOT_FOUND},
        {"DELETE of a missing entry",
         MF(f.acl)
             .ternary(1, be(0x0a000001, 4), be(0xffffffff, 4))
             .priority(3)
             .update(Update::DELETE),
         StatusCode::NOT_FOUND},
        {"a port the switch has not",
         MF(f.fwd)
             .lpm(f.fwd_dst, be(0x0a000000, 4), 8)
             .action(f.forward, {be(100, 1)})
             .update(Update::INSERT),
         StatusCode::INVALID_ARGUMENT},
        {"write to a const table",
         MF(f.classify).exact(1, "\x06").action(f.mark, {"\x03"}).update(Update::MODIFY),
         StatusCode::PERMISSION_DENIED},
        {"unspecified update type",
         MF(f.fwd)
             .lpm(f.fwd_dst, be(0x0a000000, 4), 8)
             .action(f.forward, {"\x02"})
             .update(Update::UNSPECIFIED),
         StatusCode::INVALID_ARGUMENT},
    };
    Update with_const = MF(f.fwd)
                            .lpm(f.fwd_dst, be(0x0a000000, 4), 8)
                            .action(f.forward, {"\x02"})
                            .update(Update::INSERT);
    with_const.mutable_entity()->mutable_table_entry()->set_is_const(true);
    cases.push_back({"is_const in a write", with_const, StatusCode::INVALID_ARGUMENT});
    Update timeout = MF(f.fwd)
                         .lpm(f.fwd_dst, be(0x0a000000, 4), 8)
                         .action(f.forward, {"\x02"})
                         .update(Update::INSERT);
    timeout.mutable_entity()->mutable_table_entry()->set_idle_timeout_ns(1000);
    cases.push_back({"idle timeout", timeout, StatusCode::INVALID_ARGUMENT});
    Update profile = MF(f.fwd).lpm(f.fwd_dst, be(0x0a000000, 4), 8).update(Update::INSERT);
    profile.mutable_entity()->mutable_table_entry()->mutable_action()->set_action_profile_member_id(
        1);
    cases.push_back({"action profile member", profile, StatusCode::INVALID_ARGUMENT});

    for (const auto& c : cases) {
        CAPTURE(c.what);
        CHECK(code_of([&] { f.entities.write(c.update); }) == c.code);
    }
    auto after = f.read_all_tables();
    REQUIRE(after.size() == before.size());
    for (size_t i = 0; i < after.size(); ++i)
        CHECK(after[i].SerializeAsString() == before[i].SerializeAsString());
}

TEST_CASE("p4rt: const entries read back as const and in canonical form") {
    Fixture f;
    ::p4::v1::Entity req;
    req.mutable_table_entry()->set_table_id(f.classify);
    auto got = f.read(req);
    REQUIRE(got.size() == 2);
    for (const auto& e : got) {
        const auto& te = e.table_entry();
        CHECK(te.is_const());
        CHECK(te.priority() == 0);  // an exact table: no priority
        REQUIRE(te.match_size() == 1);
        std::string v = te.match(0).exact().value();
        CHECK(v.size() == 1);  // the shortest string
        CHECK((v == "\x06" || v == "\x11"));
        CHECK(te.action().action().params(0).value().size() == 1);
    }
    // A filter on the match finds exactly one.
    *req.mutable_table_entry() = EntryBuilder(f.classify).exact(1, be(17, 3)).e;
    got = f.read(req);
    REQUIRE(got.size() == 1);
    CHECK(got[0].table_entry().action().action().params(0).value() == "\x04");
}

TEST_CASE("p4rt: the default entry reads as the program's and cannot be inserted or changed") {
    Fixture f;
    ::p4::v1::Entity req;
    req.mutable_table_entry()->set_table_id(f.fwd);
    req.mutable_table_entry()->set_is_default_action(true);
    auto got = f.read(req);
    REQUIRE(got.size() == 1);
    CHECK(got[0].table_entry().is_default_action());
    CHECK(got[0].table_entry().action().action().action_id() == f.drop);

    EntryBuilder def(f.fwd);
    def.e.set_is_default_action(true);
    CHECK(code_of([&] { f.entities.write(def.update(Update::INSERT)); }) ==
          StatusCode::INVALID_ARGUMENT);
    CHECK(code_of([&] { f.entities.write(def.update(Update::DELETE)); }) ==
          StatusCode::INVALID_ARGUMENT);
    def.action(f.forward, {"\x02"});
    CHECK(code_of([&] { f.entities.write(def.update(Update::MODIFY)); }) ==
          StatusCode::UNIMPLEMENTED);
    EntryBuilder same(f.fwd);
    same.e.set_is_default_action(true);
    same.action(f.drop);
    CHECK(code_of([&] { f.entities.write(same.update(Update::MODIFY)); }) == StatusCode::OK);
    EntryBuilder with_match = same;
    with_match.lpm(f.fwd_dst, be(0x0a000000, 4), 8);
    CHECK(code_of([&] { f.entities.write(with_match.update(Update::MODIFY)); }) ==
          StatusCode::INVALID_ARGUMENT);
}

TEST_CASE("p4rt: counter and register writes are MODIFY only, indexes are checked") {
    Fixture f;
    Update u;
    u.set_type(Update::INSERT);
    auto* ce = u.mutable_entity()->mutable_counter_entry();
    ce->set_counter_id(f.hits);
    ce->mutable_index()->set_index(1);
    ce->mutable_data()->set_packet_count(5);
    CHECK(code_of([&] { f.entities.write(u); }) == StatusCode::INVALID_ARGUMENT);
    u.set_type(Update::DELETE);
    CHECK(code_of([&] { f.entities.write(u); }) == StatusCode::INVALID_ARGUMENT);
    u.set_type(Update::MODIFY);
    ce->mutable_index()->set_index(-1);
    CHECK(code_of([&] { f.entities.write(u); }) == StatusCode::INVALID_ARGUMENT);
    ce->mutable_index()->set_index(8);
    CHECK(code_of([&] { f.entities.write(u); }) == StatusCode::OUT_OF_RANGE);
    ce->set_counter_id(0x12ffffff);
    CHECK(code_of([&] { f.entities.write(u); }) == StatusCode::INVALID_ARGUMENT);

    Update r;
    r.set_type(Update::MODIFY);
    auto* re = r.mutable_entity()->mutable_register_entry();
    re->set_register_id(f.last);
    re->mutable_index()->set_index(1);
    re->mutable_data()->set_bitstring(be(0x10000, 3));  // 17 bits into bit<16>
    CHECK(code_of([&] { f.entities.write(r); }) == StatusCode::OUT_OF_RANGE);
    re->mutable_data()->set_bool_(true);
    CHECK(code_of([&] { f.entities.write(r); }) == StatusCode::INVALID_ARGUMENT);
    re->mutable_data()->set_bitstring(be(7, 1));
    re->mutable_index()->set_index(4);
    CHECK(code_of([&] { f.entities.write(r); }) == StatusCode::OUT_OF_RANGE);

    ::p4::v1::Entity bad;
    bad.mutable_counter_entry()->set_counter_id(f.hits);
    bad.mutable_counter_entry()->mutable_index()->set_index(9);
    CHECK(code_of([&] { f.read(bad); }) == StatusCode::OUT_OF_RANGE);
    ::p4::v1::Entity empty;
    CHECK(code_of([&] { f.read(empty); }) == StatusCode::INVALID_ARGUMENT);
}
