// P4Runtime entities on a real switch: a pipeline pinned for the test, a function compiled
// and installed in slot 3, entries written through p4rt::Entities and packets run through
// the pipeline (BPF_PROG_TEST_RUN) to see what the data plane does with them.
#include <bpf/bpf.h>
#include <doctest/doctest.h>

#include <filesystem>

#include "chima/bpf/table_entries.hpp"
#include "chima/p4/compiler.hpp"
#include "chima/p4rt/entities.hpp"
#include "chima/unique_fd.hpp"
#include "p4fn_support.hpp"
#include "p4rt_p4info.hpp"
#include "switch_fixture.hpp"

using namespace chima;
using namespace chima::test;
using grpc::StatusCode;
using ::p4::v1::Update;

namespace {

constexpr uint16_t kIpv4 = 0x0800;
constexpr uint16_t kMpls = 0x8847;
constexpr uint32_t kSlot = 3;

p4::CompiledFunction compile_mixed() {
    p4::CompileOptions opts;
    opts.build_dir = p4_build_dir();
    return p4::compile_function(std::string(CHIMA_TEST_DATA) + "/p4/fn/p4rt_mixed.p4", "", opts);
}

struct P4rtSwitch : SwitchFixture {
    p4::CompiledFunction fn = compile_mixed();
    P4InfoBuilder p4;
    std::map<uint32_t, p4rt::SlotFunction> slots;
    p4rt::Entities entities{sw};
    uint32_t acl, by_source, fwd, mark, deny, set_ttl, forward, drop, hits, last_port, port_rx, seq;

    explicit P4rtSwitch(int64_t acl_size = 0) {
        sw.install_function(kSlot, fn.object_path);
        bpf::install_const_entries(sw.slot_dir(kSlot), fn.p4info);
        p4.add_template();
        p4.add_function(kSlot, fn.p4info, acl_size);
        slots[kSlot] = {kSlot, "p4rt_mixed", fn.p4info};
        entities.bind(p4.info, slots);
        std::string pre = "ChimaIngress.functions.fn_3.";
        acl = p4.id_of(pre + "acl");
        by_source = p4.id_of(pre + "by_source");
        mark = p4.id_of(pre + "mark");
        deny = p4.id_of(pre + "deny");
        set_ttl = p4.id_of(pre + "set_ttl");
        hits = p4.id_of(pre + "hits");
        last_port = p4.id_of(pre + "last_port");
        fwd = p4.id_of("ChimaIngress.forwarding");
        forward = p4.id_of("ChimaIngress.forward");
        drop = p4.id_of("ChimaIngress.drop");
        port_rx = p4.id_of("ChimaIngress.port_rx");
        seq = p4.id_of("ChimaEgress.report_seq_no");
    }

    // A UDP packet to `dst`:`dport` through the function, out of port 2; the frame out.
    RunResult through_function(uint32_t dst, uint16_t dport, uint32_t src = 0x0a000001) {
        Ipv4Fields ip;
        ip.dst = dst;
        ip.src = src;
        Bytes frame = concat({ethernet(kSwitchMac + 1, kHostA, kMpls), mpls({fn(kSlot), adj(2)}),
                              udp_packet(ip, 5000, dport, payload_of(20))});
        return run(frame);
    }
    static int dscp_of(const RunResult& r) { return r.output.at(15) >> 2; }
    static int ttl_of(const RunResult& r) { return r.output.at(22); }

    std::vector<::p4::v1::Entity> read(const ::p4::v1::Entity& request) {
        std::vector<::p4::v1::Entity> out;
        entities.read(request, [&](::p4::v1::Entity&& e) { out.push_back(std::move(e)); });
        return out;
    }
    std::vector<::p4::v1::Entity> read_table(uint32_t id) {
        ::p4::v1::Entity req;
        req.mutable_table_entry()->set_table_id(id);
        return read(req);
    }
    std::vector<Update> write(const Update& u) { return entities.write(u); }

    EntryBuilder acl_entry(uint32_t dst, uint32_t mask, int32_t prio) const {
        return std::move(
            EntryBuilder(acl).ternary(1, be(dst & mask, 4), be(mask, 4)).priority(prio));
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

// Every key and value of a pinned (non per-CPU) map.
std::vector<std::pair<Bytes, Bytes>> dump_map(const std::filesystem::path& pin) {
    int fd = bpf_obj_get(pin.c_str());
    REQUIRE_MESSAGE(fd >= 0, pin.string());
    UniqueFd owned(fd);
    bpf_map_info info{};
    uint32_t len = sizeof info;
    REQUIRE(bpf_obj_get_info_by_fd(fd, &info, &len) == 0);
    std::vector<std::pair<Bytes, Bytes>> out;
    Bytes key(info.key_size), next(info.key_size), value(info.value_size);
    void* prev = nullptr;
    while (bpf_map_get_next_key(fd, prev, next.data()) == 0) {
        REQUIRE(bpf_map_lookup_elem(fd, next.data(), value.data()) == 0);
        out.emplace_back(next, value);
        key = next;
        prev = key.data();
    }
    std::sort(out.begin(), out.end());
    return out;
}

// The maps a controller writes: the template's and the function's.
std::vector<std::vector<std::pair<Bytes, Bytes>>> snapshot(const P4rtSwitch& s) {
    std::vector<std::vector<std::pair<Bytes, Bytes>>> all;
    for (const char* m : {"chima_prefix_routes", "chima_mac_routes", "chima_int_watchlist",
                          "chima_int_config", "chima_int_report"})
        all.push_back(dump_map(s.dir.path() / m));
    for (const char* m : {"tbl_acl", "msk_acl", "tbl_by_source", "reg_last_port"})
        all.push_back(dump_map(s.sw.slot_dir(kSlot) / m));
    return all;
}

std::string serialized(const std::vector<::p4::v1::Entity>& entities) {
    std::vector<std::string> parts;
    for (const auto& e : entities)
        parts.push_back(e.SerializeAsString());
    std::sort(parts.begin(), parts.end());
    std::string out;
    for (const auto& p : parts)
        out += p + "|";
    return out;
}

std::string all_tables(P4rtSwitch& s) {
    ::p4::v1::Entity req;
    req.mutable_table_entry();
    return serialized(s.read(req));
}

}  // namespace

TEST_CASE("p4rt: a ternary table with priorities decides by priority in the data plane") {
    P4rtSwitch s;
    // 10.0.1.0/24 -> DSCP 10 at priority 10; 10.0.1.2 exactly -> DSCP 20 at priority 20.
    s.write(s.acl_entry(0x0a000100, 0xffffff00, 10)
                .action(s.mark, {"\x0a", "\x01"})
                .update(Update::INSERT));
    auto undo_exact = s.write(s.acl_entry(0x0a000102, 0xffffffff, 20)
                                  .action(s.mark, {"\x14", "\x02"})
                                  .update(Update::INSERT));
    CHECK(P4rtSwitch::dscp_of(s.through_function(0x0a000102, 80)) == 20);
    CHECK(P4rtSwitch::dscp_of(s.through_function(0x0a000103, 80)) == 10);
    CHECK(P4rtSwitch::dscp_of(s.through_function(0x0a000203, 80)) == 0);  // no entry

    // MODIFY changes the action, not which entry wins.
    s.write(s.acl_entry(0x0a000100, 0xffffff00, 10)
                .action(s.mark, {"\x0b", "\x01"})
                .update(Update::MODIFY));
    CHECK(P4rtSwitch::dscp_of(s.through_function(0x0a000102, 80)) == 20);
    CHECK(P4rtSwitch::dscp_of(s.through_function(0x0a000103, 80)) == 11);
    // Deleting the exact entry (the inverse of its INSERT) releases its mask slot.
    REQUIRE(undo_exact.size() == 1);
    CHECK(undo_exact[0].type() == Update::DELETE);
    s.write(undo_exact[0]);
    auto masks = dump_map(s.sw.slot_dir(kSlot) / "msk_acl");
    int used = 0;
    for (const auto& [k, v] : masks)
        used += v[0] != 0;
    CHECK(used == 1);
    CHECK(P4rtSwitch::dscp_of(s.through_function(0x0a000102, 80)) == 11);

    // A wider entry at a higher priority wins over the /24 one.
    s.write(s.acl_entry(0x0a000000, 0xffff0000, 30)
                .action(s.mark, {"\x1e", "\x01"})
                .update(Update::INSERT));
    CHECK(P4rtSwitch::dscp_of(s.through_function(0x0a000102, 80)) == 30);
    CHECK(P4rtSwitch::dscp_of(s.through_function(0x0a000203, 80)) == 30);

    // deny drops: the function's drop is counted.
    s.write(EntryBuilder(s.acl)
                .ternary(2, be(9, 2), be(0xffff, 2))
                .priority(100)
                .action(s.deny)
                .update(Update::INSERT));
    uint64_t before = s.drops(CHIMA_DROP_FUNCTION);
    CHECK(s.through_function(0x0a000102, 9).verdict == TC_ACT_SHOT);
    CHECK(s.drops(CHIMA_DROP_FUNCTION) == before + 1);
}

TEST_CASE("p4rt: reads return what was written, in canonical form, with wildcards") {
    P4rtSwitch s;
    // A client may pad values: the read gives the shortest strings back.
    EntryBuilder padded(s.by_source);
    padded.lpm(1, be(0x0a000000, 6), 8).action(s.set_ttl, {be(7, 4)});
    padded.e.set_metadata("cookie");
    s.write(padded.update(Update::INSERT));
    s.write(s.acl_entry(0x0a000102, 0xffffffff, 5)
                .action(s.mark, {"\x01", be(0, 1)})
                .update(Update::INSERT));
    s.write(EntryBuilder(s.fwd)
                .lpm(1, be(0x0b000000, 4), 8)
                .action(s.forward, {"\x02"})
                .update(Update::INSERT));
    CHECK(P4rtSwitch::ttl_of(s.through_function(0x0a000102, 80, 0x0a0000aa)) == 7);

    auto got = s.read_table(s.by_source);
    REQUIRE(got.size() == 1);
    const auto& te = got[0].table_entry();
    CHECK(te.match(0).lpm().value() == std::string("\x0a\x00\x00\x00", 4));
    CHECK(te.match(0).lpm().prefix_len() == 8);
    CHECK(te.action().action().params(0).value() == "\x07");
    CHECK(te.metadata() == "cookie");
    CHECK_FALSE(te.const_());

    ::p4::v1::Entity all;
    all.mutable_table_entry();
    CHECK(s.read(all).size() == 3);
    // A filter on the priority, and on the action.
    ::p4::v1::Entity by_prio;
    by_prio.mutable_table_entry()->set_table_id(s.acl);
    by_prio.mutable_table_entry()->set_priority(6);
    CHECK(s.read(by_prio).empty());
    by_prio.mutable_table_entry()->set_priority(5);
    CHECK(s.read(by_prio).size() == 1);
    ::p4::v1::Entity by_action;
    by_action.mutable_table_entry()->set_table_id(s.acl);
    by_action.mutable_table_entry()->mutable_action()->mutable_action()->set_action_id(s.deny);
    CHECK(s.read(by_action).empty());
}

TEST_CASE("p4rt: refused writes change no map, inverse updates roll back exactly") {
    P4rtSwitch s(3);  // the P4Info gives the ACL 3 entries
    s.write(EntryBuilder(s.fwd)
                .lpm(1, be(0x0b000000, 4), 8)
                .action(s.forward, {"\x02"})
                .update(Update::INSERT));
    s.write(s.acl_entry(0x0a000100, 0xffffff00, 10)
                .action(s.mark, {"\x0a", "\x01"})
                .update(Update::INSERT));
    auto maps_before = snapshot(s);
    std::string read_before = all_tables(s);

    auto refused = [&](const Update& u, StatusCode code) {
        CHECK(code_of([&] { s.write(u); }) == code);
        CHECK(snapshot(s) == maps_before);
        CHECK(all_tables(s) == read_before);
    };
    refused(s.acl_entry(0x0a000100, 0xffffff00, 10)
                .action(s.mark, {"\x0a", "\x01"})
                .update(Update::INSERT),
            StatusCode::ALREADY_EXISTS);
    refused(s.acl_entry(0x0a000100, 0xffffff00, 11)
                .action(s.mark, {"\x0a", "\x01"})
                .update(Update::INSERT),
            StatusCode::UNIMPLEMENTED);  // same match, other priority: one map key
    refused(s.acl_entry(0x0a000100, 0xffffff00, 10)
                .action(s.mark, {be(64, 1), "\x01"})
                .update(Update::MODIFY),
            StatusCode::OUT_OF_RANGE);
    refused(s.acl_entry(0x0a000200, 0xffffff00, 10).update(Update::DELETE), StatusCode::NOT_FOUND);
    refused(EntryBuilder(s.fwd)
                .lpm(1, be(0x0b000001, 4), 8)
                .action(s.forward, {"\x02"})
                .update(Update::INSERT),
            StatusCode::INVALID_ARGUMENT);

    // Fill the table (3 entries), then one more is RESOURCE_EXHAUSTED.
    s.write(s.acl_entry(0x0a000200, 0xffffff00, 10)
                .action(s.mark, {"\x0a", "\x01"})
                .update(Update::INSERT));
    s.write(s.acl_entry(0x0a000300, 0xffffff00, 10)
                .action(s.mark, {"\x0a", "\x01"})
                .update(Update::INSERT));
    maps_before = snapshot(s);
    read_before = all_tables(s);
    refused(s.acl_entry(0x0a000400, 0xffffff00, 10)
                .action(s.mark, {"\x0a", "\x01"})
                .update(Update::INSERT),
            StatusCode::RESOURCE_EXHAUSTED);

    // A batch of every write type, undone by its inverses in reverse order.
    std::vector<Update> batch = {
        s.acl_entry(0x0a000200, 0xffffff00, 10).update(Update::DELETE),
        s.acl_entry(0x0a000100, 0xffffff00, 10).action(s.deny).update(Update::MODIFY),
        s.acl_entry(0x0a000500, 0xffff0000, 40)
            .action(s.mark, {"\x05", "\x03"})
            .update(Update::INSERT),
        EntryBuilder(s.fwd).lpm(1, be(0x0b000000, 4), 8).action(s.drop).update(Update::MODIFY),
        EntryBuilder(s.fwd)
            .lpm(1, be(0x0c000000, 4), 16)
            .action(s.forward, {"\x03"})
            .update(Update::INSERT),
        EntryBuilder(s.by_source)
            .lpm(1, be(0x0a000000, 4), 24)
            .action(s.set_ttl, {"\x09"})
            .update(Update::INSERT),
    };
    std::vector<Update> undo;
    for (const auto& u : batch)
        for (auto& inv : s.write(u))
            undo.push_back(std::move(inv));
    CHECK(snapshot(s) != maps_before);
    for (auto it = undo.rbegin(); it != undo.rend(); ++it)
        s.write(*it);
    CHECK(snapshot(s) == maps_before);
    CHECK(all_tables(s) == read_before);
}

TEST_CASE("p4rt: the template's forwarding table and INT settings reach the switch's maps") {
    P4rtSwitch s;
    Ipv4Fields ip;
    ip.dst = 0x0b000105;
    Bytes plain =
        concat({ethernet(kSwitchMac + 1, kHostA, kIpv4), udp_packet(ip, 1, 2, payload_of(8))});
    s.expect_dropped(plain, CHIMA_DROP_NO_ROUTE);
    auto undo = s.write(EntryBuilder(s.fwd)
                            .lpm(1, be(0x0b000100, 4), 24)
                            .action(s.forward, {"\x02"})
                            .update(Update::INSERT));
    uint64_t tx = s.tx(2);
    CHECK(s.run(plain).verdict == TC_ACT_REDIRECT);
    CHECK(s.tx(2) == tx + 1);
    s.write(
        EntryBuilder(s.fwd).lpm(1, be(0x0b000100, 4), 24).action(s.drop).update(Update::MODIFY));
    s.expect_dropped(plain, CHIMA_DROP_BAD_PORT);
    s.write(undo.at(0));
    s.expect_dropped(plain, CHIMA_DROP_NO_ROUTE);

    // The switch id: one entry for every port; a specific port is not realisable.
    uint32_t cfg = s.p4.id_of("ChimaIngress.switch_config");
    uint32_t set_id = s.p4.id_of("ChimaIngress.set_switch_id");
    CHECK(code_of([&] {
              s.write(EntryBuilder(cfg)
                          .ternary(1, "\x01", be(0x1ff, 2))
                          .priority(1)
                          .action(set_id, {"\x05"})
                          .update(Update::INSERT));
          }) == StatusCode::UNIMPLEMENTED);
    s.write(EntryBuilder(cfg).priority(1).action(set_id, {"\x2a"}).update(Update::INSERT));
    CHECK(code_of([&] {
              s.write(
                  EntryBuilder(cfg).priority(2).action(set_id, {"\x05"}).update(Update::INSERT));
          }) == StatusCode::RESOURCE_EXHAUSTED);
    auto config = dump_map(s.dir.path() / "chima_int_config");
    REQUIRE(config.size() == 1);
    uint32_t switch_id;
    std::memcpy(&switch_id, config[0].second.data(), 4);
    CHECK(switch_id == 42);

    // The INT watchlist: source and destination exact.
    uint32_t src_table = s.p4.id_of("ChimaIngress.int_source");
    uint32_t mark_src = s.p4.id_of("ChimaIngress.mark_int_source");
    s.write(EntryBuilder(src_table)
                .ternary(1, be(0x0a000001, 4), be(0xffffffff, 4))
                .ternary(2, be(0x0a000102, 4), be(0xffffffff, 4))
                .priority(1)
                .action(mark_src)
                .update(Update::INSERT));
    CHECK(dump_map(s.dir.path() / "chima_int_watchlist").size() == 1);
    CHECK(code_of([&] {
              s.write(EntryBuilder(src_table)
                          .ternary(1, be(0x0a000000, 4), be(0xffffff00, 4))
                          .ternary(2, be(0x0a000102, 4), be(0xffffffff, 4))
                          .priority(1)
                          .action(mark_src)
                          .update(Update::INSERT));
          }) == StatusCode::UNIMPLEMENTED);

    // A full push forgets everything and empties the template's maps.
    p4rt::BindOptions full;
    full.clear_all = true;
    s.entities.bind(s.p4.info, s.slots, full);
    CHECK(dump_map(s.dir.path() / "chima_int_watchlist").empty());
    CHECK(dump_map(s.dir.path() / "chima_prefix_routes").empty());
    CHECK(all_tables(s).empty());
}

TEST_CASE(
    "p4rt: counters count real packets, registers hold what the program and the client write") {
    P4rtSwitch s;
    s.write(s.acl_entry(0x0a000102, 0xffffffff, 5)
                .action(s.mark, {"\x01", "\x04"})
                .update(Update::INSERT));
    for (int i = 0; i < 3; ++i)
        REQUIRE(s.through_function(0x0a000102, 4242).verdict == TC_ACT_REDIRECT);

    ::p4::v1::Entity req;
    req.mutable_counter_entry()->set_counter_id(s.hits);
    req.mutable_counter_entry()->mutable_index()->set_index(4);
    auto got = s.read(req);
    REQUIRE(got.size() == 1);
    CHECK(got[0].counter_entry().data().packet_count() == 3);
    CHECK(got[0].counter_entry().data().byte_count() > 3 * 40);
    req.mutable_counter_entry()->clear_index();
    CHECK(s.read(req).size() == 8);  // every cell
    ::p4::v1::Entity all_counters;
    all_counters.mutable_counter_entry();
    CHECK(s.read(all_counters).size() == 8 + 64 + 64);

    // MODIFY sets the cell; its inverse puts the count back.
    Update u;
    u.set_type(Update::MODIFY);
    auto* ce = u.mutable_entity()->mutable_counter_entry();
    ce->set_counter_id(s.hits);
    ce->mutable_index()->set_index(4);
    ce->mutable_data()->set_packet_count(100);
    ce->mutable_data()->set_byte_count(1000);
    auto undo = s.write(u);
    req.mutable_counter_entry()->mutable_index()->set_index(4);
    CHECK(s.read(req).at(0).counter_entry().data().packet_count() == 100);
    s.through_function(0x0a000102, 4242);
    CHECK(s.read(req).at(0).counter_entry().data().packet_count() == 101);
    s.write(undo.at(0));
    CHECK(s.read(req).at(0).counter_entry().data().packet_count() == 3);

    // The port counters of the template: port 1 received every packet of this test.
    ::p4::v1::Entity rx;
    rx.mutable_counter_entry()->set_counter_id(s.port_rx);
    rx.mutable_counter_entry()->mutable_index()->set_index(1);
    CHECK(s.read(rx).at(0).counter_entry().data().packet_count() ==
          static_cast<int64_t>(s.sw.port_counters(1).rx_packets));
    CHECK(s.sw.port_counters(1).rx_packets >= 4);

    // The register: the program wrote the last port; the client overwrites a cell.
    ::p4::v1::Entity reg;
    reg.mutable_register_entry()->set_register_id(s.last_port);
    reg.mutable_register_entry()->mutable_index()->set_index(0);
    CHECK(s.read(reg).at(0).register_entry().data().bitstring() == be(4242, 2));
    Update w;
    w.set_type(Update::MODIFY);
    auto* re = w.mutable_entity()->mutable_register_entry();
    re->set_register_id(s.last_port);
    re->mutable_index()->set_index(2);
    re->mutable_data()->set_bitstring(be(7, 4));  // padded: accepted
    s.write(w);
    reg.mutable_register_entry()->mutable_index()->set_index(2);
    CHECK(s.read(reg).at(0).register_entry().data().bitstring() == "\x07");

    // The INT report sequence of the template is a register too.
    re->set_register_id(s.seq);
    re->mutable_index()->set_index(0);
    re->mutable_data()->set_bitstring(be(77, 1));
    s.write(w);
    CHECK(s.sw.int_report_sequence() == 77);
}

TEST_CASE("p4rt: the shadow survives a warm restart and a reconcile, not a replaced function") {
    P4rtSwitch s;
    s.write(s.acl_entry(0x0a000102, 0xffffffff, 5)
                .action(s.mark, {"\x01", "\x04"})
                .update(Update::INSERT));
    s.write(EntryBuilder(s.fwd)
                .lpm(1, be(0x0b000000, 4), 8)
                .action(s.forward, {"\x02"})
                .update(Update::INSERT));
    std::string before = all_tables(s);
    auto maps = snapshot(s);

    p4rt::Entities again(s.sw);
    again.bind(s.p4.info, s.slots);
    again.restore(s.entities.save());
    std::vector<::p4::v1::Entity> got;
    ::p4::v1::Entity all;
    all.mutable_table_entry();
    again.read(all, [&](::p4::v1::Entity&& e) { got.push_back(std::move(e)); });
    CHECK(serialized(got) == before);
    CHECK(snapshot(s) == maps);  // restore wrote nothing

    s.entities.bind(s.p4.info, s.slots);  // RECONCILE with the same config
    CHECK(all_tables(s) == before);

    p4rt::BindOptions replaced;
    replaced.replaced_slots = {kSlot};
    s.sw.install_function(kSlot, s.fn.object_path);  // new maps: empty
    s.entities.bind(s.p4.info, s.slots, replaced);
    CHECK(s.read_table(s.acl).empty());
    CHECK(s.read_table(s.fwd).size() == 1);
    CHECK(P4rtSwitch::dscp_of(s.through_function(0x0a000102, 80)) == 0);
}
