// The shadow of a config saved by VERIFY_AND_SAVE (p4rt::Entities without a switch): writes
// are checked as against a switch, kept, and read back; what the switch would refuse (a
// full table, a ternary mask past the table's mask slots) is refused when written.
#include <doctest/doctest.h>

#include "chima/p4rt/entities.hpp"
#include "p4rt_p4info.hpp"

using namespace chima;
using namespace chima::test;
using grpc::StatusCode;
using ::p4::v1::Update;

namespace {

// A function with a ternary ACL of 3 entries and 2 mask slots, a counter and a register.
nlohmann::json acl_function() {
    return nlohmann::json::parse(R"({
      "format": "chima-p4info-1", "function": "acl", "program": "chima_function",
      "actions": [
        {"id": 1, "name": "mark", "params": [{"name": "dscp", "width": 6, "offset": 8, "size": 1, "byte_order": "host"}]},
        {"id": 2, "name": "NoAction", "params": []}],
      "tables": [
        {"id": 1, "name": "acl", "kind": "ternary", "map": "tbl_acl", "masks_map": "msk_acl",
         "max_masks": 2, "size": 3, "key_size": 8, "value_size": 16,
         "keys": [
           {"name": "hdr.ipv4.dst_addr", "match": "ternary", "width": 32, "offset": 4, "size": 4, "byte_order": "host", "p4_index": 0}],
         "action_ids": [1, 2], "default_action": {"id": 2, "args": []}, "const_entries": []}],
      "counters": [{"name": "hits", "map": "cnt_hits", "size": 4, "type": "packets_and_bytes", "per_cpu": true}],
      "registers": [{"name": "last", "map": "reg_last", "width": 16, "value_size": 2, "size": 2}]
    })");
}

struct Shadow {
    P4InfoBuilder p4;
    p4rt::Entities entities{nullptr};
    uint32_t fwd, fwd_dst, forward, acl, acl_dst, mark, hits, last;

    explicit Shadow(bool with_function = true) {
        p4.add_template();
        std::map<uint32_t, p4rt::SlotFunction> slots;
        if (with_function) {
            p4.add_function(2, acl_function());
            slots[2] = {2, "acl", acl_function()};
        }
        entities.bind(p4.info, slots);
        fwd = p4.id_of("ChimaIngress.forwarding");
        fwd_dst = p4.field_id("ChimaIngress.forwarding", "hdr.ipv4.dst_addr");
        forward = p4.id_of("ChimaIngress.forward");
        if (with_function) {
            acl = p4.id_of("ChimaIngress.functions.fn_2.acl");
            acl_dst = p4.field_id("ChimaIngress.functions.fn_2.acl", "hdr.ipv4.dst_addr");
            mark = p4.id_of("ChimaIngress.functions.fn_2.mark");
            hits = p4.id_of("ChimaIngress.functions.fn_2.hits");
            last = p4.id_of("ChimaIngress.functions.fn_2.last");
        }
    }

    std::vector<::p4::v1::TableEntry> entries(uint32_t table) {
        ::p4::v1::Entity req;
        req.mutable_table_entry()->set_table_id(table);
        std::vector<::p4::v1::TableEntry> out;
        entities.read(req, [&](::p4::v1::Entity&& e) { out.push_back(e.table_entry()); });
        return out;
    }
    StatusCode write(const Update& u) {
        try {
            entities.write(u);
        } catch (const p4rt::P4rtError& e) {
            return e.code;
        }
        return StatusCode::OK;
    }
    Update route(uint32_t dst, int len, uint32_t port, Update::Type type = Update::INSERT) {
        return EntryBuilder(fwd)
            .lpm(fwd_dst, be(dst, 4), len)
            .action(forward, {be(port, 4)})
            .update(type);
    }
    Update rule(uint32_t dst, uint32_t mask, int priority, Update::Type type = Update::INSERT) {
        return EntryBuilder(acl)
            .ternary(acl_dst, be(dst & mask, 4), be(mask, 4))
            .priority(priority)
            .action(mark, {"\x01"})
            .update(type);
    }
};

}  // namespace

TEST_CASE("p4rt shadow: writes are kept in memory and read back, modified and deleted") {
    Shadow s;
    REQUIRE(s.write(s.route(0x0a000100, 24, 2)) == StatusCode::OK);
    REQUIRE(s.write(s.route(0x0a000200, 24, 3)) == StatusCode::OK);
    auto got = s.entries(s.fwd);
    REQUIRE(got.size() == 2);
    REQUIRE(s.write(s.route(0x0a000200, 24, 4, Update::MODIFY)) == StatusCode::OK);
    REQUIRE(s.write(s.route(0x0a000100, 24, 2, Update::DELETE)) == StatusCode::OK);
    got = s.entries(s.fwd);
    REQUIRE(got.size() == 1);
    CHECK(got[0].match(0).lpm().value() == be(0x0a000200, 4));
    CHECK(got[0].action().action().params(0).value() == "\x04");
    // The spec's codes for what the state refuses, as against a switch.
    CHECK(s.write(s.route(0x0a000200, 24, 5)) == StatusCode::ALREADY_EXISTS);
    CHECK(s.write(s.route(0x0a000300, 24, 5, Update::MODIFY)) == StatusCode::NOT_FOUND);
    CHECK(s.write(s.route(0x0a000300, 24, 5, Update::DELETE)) == StatusCode::NOT_FOUND);
    // What the switch's maps would refuse: port 0 is no port.
    CHECK(s.write(s.route(0x0a000300, 24, 0)) == StatusCode::INVALID_ARGUMENT);
    CHECK(s.entries(s.fwd).size() == 1);
}

TEST_CASE("p4rt shadow: a table's size and its mask slots are counted as the maps would") {
    Shadow s;
    REQUIRE(s.write(s.rule(0x0a000001, 0xffffffff, 1)) == StatusCode::OK);
    REQUIRE(s.write(s.rule(0x0a000000, 0xffffff00, 2)) == StatusCode::OK);
    // A third mask: 2 mask slots only.
    CHECK(s.write(s.rule(0x0a000000, 0xffff0000, 3)) == StatusCode::RESOURCE_EXHAUSTED);
    // A known mask fits; then the table (3 entries) is full.
    REQUIRE(s.write(s.rule(0x0a000002, 0xffffffff, 4)) == StatusCode::OK);
    CHECK(s.write(s.rule(0x0a000003, 0xffffffff, 5)) == StatusCode::RESOURCE_EXHAUSTED);
    CHECK(s.entries(s.acl).size() == 3);
    // Deleting the one entry of the /24 mask frees its slot.
    REQUIRE(s.write(s.rule(0x0a000000, 0xffffff00, 2, Update::DELETE)) == StatusCode::OK);
    CHECK(s.write(s.rule(0x0a000000, 0xffff0000, 3)) == StatusCode::OK);
    CHECK(s.entries(s.acl).size() == 3);
}

TEST_CASE("p4rt shadow: counter and register cells read what was written, zero elsewhere") {
    Shadow s;
    Update c;
    c.set_type(Update::MODIFY);
    auto* ce = c.mutable_entity()->mutable_counter_entry();
    ce->set_counter_id(s.hits);
    ce->mutable_index()->set_index(1);
    ce->mutable_data()->set_packet_count(7);
    ce->mutable_data()->set_byte_count(700);
    REQUIRE(s.write(c) == StatusCode::OK);
    Update r;
    r.set_type(Update::MODIFY);
    auto* re = r.mutable_entity()->mutable_register_entry();
    re->set_register_id(s.last);
    re->mutable_data()->set_bitstring(be(0x1234, 2));  // every cell (index unset)
    REQUIRE(s.write(r) == StatusCode::OK);

    ::p4::v1::Entity req;
    req.mutable_counter_entry()->set_counter_id(s.hits);
    std::map<int64_t, int64_t> packets;
    s.entities.read(req, [&](::p4::v1::Entity&& e) {
        packets[e.counter_entry().index().index()] = e.counter_entry().data().packet_count();
    });
    CHECK(packets == std::map<int64_t, int64_t>{{0, 0}, {1, 7}, {2, 0}, {3, 0}});
    ::p4::v1::Entity regs;
    regs.mutable_register_entry()->set_register_id(s.last);
    int cells = 0;
    s.entities.read(regs, [&](::p4::v1::Entity&& e) {
        CHECK(e.register_entry().data().bitstring() == be(0x1234, 2));
        ++cells;
    });
    CHECK(cells == 2);
    // Out of the register's cells: refused, nothing kept.
    re->mutable_index()->set_index(2);
    CHECK(s.write(r) == StatusCode::OUT_OF_RANGE);
}

TEST_CASE("p4rt shadow: a write for a table the saved config has not is refused") {
    // The committed config has the function; the saved one does not.
    Shadow committed;
    Shadow saved(false);
    Update rule = committed.rule(0x0a000001, 0xffffffff, 1);
    CHECK(committed.write(rule) == StatusCode::OK);
    CHECK(saved.write(rule) == StatusCode::INVALID_ARGUMENT);
    // A value wider than its field: OUT_OF_RANGE ("Bytestrings").
    Update wide = EntryBuilder(saved.fwd)
                      .lpm(saved.fwd_dst, be(0x10a000000, 5), 8)
                      .action(saved.forward, {be(2, 4)})
                      .update(Update::INSERT);
    CHECK(saved.write(wide) == StatusCode::OUT_OF_RANGE);
    ::p4::v1::Entity all;
    all.mutable_table_entry();
    int n = 0;
    saved.entities.read(all, [&](::p4::v1::Entity&&) { ++n; });
    CHECK(n == 0);
}

TEST_CASE("p4rt shadow: the shadow saves and restores as a switch's does") {
    Shadow s;
    REQUIRE(s.write(s.route(0x0a000100, 24, 2)) == StatusCode::OK);
    REQUIRE(s.write(s.rule(0x0a000001, 0xffffffff, 9)) == StatusCode::OK);
    nlohmann::json saved = s.entities.save();
    Shadow again;
    again.entities.restore(saved);
    CHECK(again.entries(again.fwd).size() == 1);
    auto rules = again.entries(again.acl);
    REQUIRE(rules.size() == 1);
    CHECK(rules[0].priority() == 9);
    // The restored state counts as the written one: the same entry exists.
    CHECK(again.write(again.rule(0x0a000001, 0xffffffff, 9)) == StatusCode::ALREADY_EXISTS);
}
