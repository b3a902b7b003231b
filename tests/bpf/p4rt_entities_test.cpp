// P4Runtime entities on a real switch: a pipeline pinned for the test, a function compiled
// and installed in slot 3, entries written through p4rt::Entities and packets run through
// the pipeline (BPF_PROG_TEST_RUN) to see what the data plane does with them.
#include <bpf/bpf.h>
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "chima/bpf/table_entries.hpp"
#include "chima/p4/compiler.hpp"
#include "chima/p4rt/entities.hpp"
#include "chima/unique_fd.hpp"
#include "int_bytes.hpp"
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

chima::p4::CompiledFunction compile_mixed() {
    chima::p4::CompileOptions opts;
    opts.build_dir = p4_build_dir();
    return chima::p4::compile_function(std::string(CHIMA_TEST_DATA) + "/p4/fn/p4rt_mixed.p4", "",
                                       opts);
}

struct P4rtSwitch : SwitchFixture {
    chima::p4::CompiledFunction compiled = compile_mixed();
    P4InfoBuilder p4;
    std::map<uint32_t, p4rt::SlotFunction> slots;
    p4rt::Entities entities{sw};
    uint32_t acl, by_source, fwd, fwd_dst, mark, deny, set_ttl, forward, drop, hits, last_port,
        port_rx, seq;

    explicit P4rtSwitch(int64_t acl_size = 0) {
        sw.install_function(kSlot, compiled.object_path);
        bpf::install_const_entries(sw.slot_dir(kSlot), compiled.p4info);
        p4.add_template();
        p4.add_function(kSlot, compiled.p4info, acl_size);
        slots[kSlot] = {kSlot, "p4rt_mixed", compiled.p4info};
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
        fwd_dst = p4.field_id("ChimaIngress.forwarding", "hdr.ipv4.dst_addr");
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
                .lpm(s.fwd_dst, be(0x0b000000, 4), 8)
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
    CHECK_FALSE(te.is_const());

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
                .lpm(s.fwd_dst, be(0x0b000000, 4), 8)
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
                .lpm(s.fwd_dst, be(0x0b000001, 4), 8)
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
        EntryBuilder(s.fwd)
            .lpm(s.fwd_dst, be(0x0b000000, 4), 8)
            .action(s.drop)
            .update(Update::MODIFY),
        EntryBuilder(s.fwd)
            .lpm(s.fwd_dst, be(0x0c000000, 4), 16)
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
                            .lpm(s.fwd_dst, be(0x0b000100, 4), 24)
                            .action(s.forward, {"\x02"})
                            .update(Update::INSERT));
    uint64_t tx = s.tx(2);
    CHECK(s.run(plain).verdict == TC_ACT_REDIRECT);
    CHECK(s.tx(2) == tx + 1);
    s.write(EntryBuilder(s.fwd)
                .lpm(s.fwd_dst, be(0x0b000100, 4), 24)
                .action(s.drop)
                .update(Update::MODIFY));
    s.expect_dropped(plain, CHIMA_DROP_BAD_PORT);
    s.write(undo.at(0));
    s.expect_dropped(plain, CHIMA_DROP_NO_ROUTE);

    // The switch id and initial hop count: one entry for every port; a specific port is not
    // realisable.
    uint32_t cfg = s.p4.id_of("ChimaIngress.switch_config");
    uint32_t cfg_port =
        s.p4.field_id("ChimaIngress.switch_config", "standard_metadata.ingress_port");
    uint32_t set_id = s.p4.id_of("ChimaIngress.set_switch_id");
    CHECK(code_of([&] {
              s.write(EntryBuilder(cfg)
                          .ternary(cfg_port, "\x01", be(0x1ff, 2))
                          .priority(1)
                          .action(set_id, {"\x05", "\x04"})
                          .update(Update::INSERT));
          }) == StatusCode::UNIMPLEMENTED);
    s.write(EntryBuilder(cfg).priority(1).action(set_id, {"\x2a", "\x04"}).update(Update::INSERT));
    CHECK(code_of([&] {
              s.write(EntryBuilder(cfg)
                          .priority(2)
                          .action(set_id, {"\x05", "\x04"})
                          .update(Update::INSERT));
          }) == StatusCode::RESOURCE_EXHAUSTED);
    auto config = dump_map(s.dir.path() / "chima_int_config");
    REQUIRE(config.size() == 1);
    chima_int_config int_config{};
    std::memcpy(&int_config, config[0].second.data(), sizeof int_config);
    CHECK(int_config.switch_id == 42);
    CHECK(int_config.initial_hops == 4);

    // The INT watchlist: source and destination exact.
    uint32_t src_table = s.p4.id_of("ChimaIngress.int_source");
    uint32_t src_field = s.p4.field_id("ChimaIngress.int_source", "hdr.ipv4.src_addr");
    uint32_t dst_field = s.p4.field_id("ChimaIngress.int_source", "hdr.ipv4.dst_addr");
    uint32_t mark_src = s.p4.id_of("ChimaIngress.mark_int_source");
    s.write(EntryBuilder(src_table)
                .exact(src_field, be(0x0a000001, 4))
                .exact(dst_field, be(0x0a000102, 4))
                .action(mark_src)
                .update(Update::INSERT));
    auto watched = dump_map(s.dir.path() / "chima_int_watchlist");
    REQUIRE(watched.size() == 1);
    chima_int_flow_key flow{};
    std::memcpy(&flow, watched[0].first.data(), sizeof flow);
    CHECK(flow.src_addr == 0x0a000001u);
    CHECK(flow.dst_addr == 0x0a000102u);
    // A flow the watchlist cannot hold (an entry whose action is not mark_int_source), and
    // one without its destination, are refused and leave the watchlist as it was.
    CHECK(code_of([&] {
              s.write(EntryBuilder(src_table)
                          .exact(src_field, be(0x0a000002, 4))
                          .exact(dst_field, be(0x0a000102, 4))
                          .action(s.p4.id_of("NoAction"))
                          .update(Update::INSERT));
          }) == StatusCode::UNIMPLEMENTED);
    CHECK(code_of([&] {
              s.write(EntryBuilder(src_table)
                          .exact(src_field, be(0x0a000003, 4))
                          .action(mark_src)
                          .update(Update::INSERT));
          }) == StatusCode::INVALID_ARGUMENT);
    CHECK(dump_map(s.dir.path() / "chima_int_watchlist") == watched);

    // MAC routes, the report target and the sink ports.
    uint32_t mac = s.p4.id_of("ChimaIngress.mac_forwarding");
    s.write(EntryBuilder(mac)
                .exact(s.p4.field_id("ChimaIngress.mac_forwarding", "hdr.ethernet.dst_addr"),
                       be(0x02000000aa01, 6))
                .action(s.forward, {"\x03"})
                .update(Update::INSERT));
    auto macs = dump_map(s.dir.path() / "chima_mac_routes");
    REQUIRE(macs.size() == 1);
    CHECK(macs[0].first == Bytes{0x02, 0x00, 0x00, 0x00, 0xaa, 0x01, 0x00, 0x00});
    CHECK(macs[0].second == Bytes{3, 0, 0, 0});
    // The report target: one entry for every port (the key a wildcard), leaving by `port`.
    uint32_t report = s.p4.id_of("ChimaEgress.int_report");
    uint32_t report_port = s.p4.field_id("ChimaEgress.int_report", "standard_metadata.egress_port");
    uint32_t endpoints = s.p4.id_of("ChimaEgress.set_report_endpoints");
    std::vector<std::string> report_params = {be(own_mac(2), 6),
                                              be(0x0200000000cc, 6),
                                              be(0x0a0000fe, 4),
                                              be(0x0a0000c8, 4),
                                              be(40000, 2),
                                              be(9555, 2),
                                              "\x02"};
    auto no_report = dump_map(s.dir.path() / "chima_int_report");
    CHECK(code_of([&] {
              s.write(EntryBuilder(report)
                          .ternary(report_port, "\x02", be(0x1ff, 2))
                          .priority(1)
                          .action(endpoints, report_params)
                          .update(Update::INSERT));
          }) == StatusCode::UNIMPLEMENTED);
    CHECK(dump_map(s.dir.path() / "chima_int_report") == no_report);
    s.write(
        EntryBuilder(report).priority(1).action(endpoints, report_params).update(Update::INSERT));
    auto reports = dump_map(s.dir.path() / "chima_int_report");
    REQUIRE(reports.size() == 1);
    chima_int_report_config target{};
    std::memcpy(&target, reports[0].second.data(), sizeof target);
    CHECK(target.port == 2);
    CHECK(target.collector_addr == 0x0a0000c8u);
    CHECK(target.source_addr == 0x0a0000feu);
    CHECK(target.collector_mac[5] == 0xcc);
    CHECK(target.source_udp_port == 40000);
    CHECK(target.collector_udp_port == 9555);
    uint32_t sink = s.p4.id_of("ChimaEgress.int_sink_ports");
    s.write(EntryBuilder(sink)
                .exact(s.p4.field_id("ChimaEgress.int_sink_ports", "standard_metadata.egress_port"),
                       "\x03")
                .action(s.p4.id_of("ChimaEgress.mark_int_sink"))
                .update(Update::INSERT));
    auto sinks = dump_map(s.dir.path() / "chima_int_sink_ports");
    uint32_t port3 = 0;
    for (const auto& [k, v] : sinks)
        if (k[0] == 3)
            std::memcpy(&port3, v.data(), 4);
    CHECK(port3 == 1);

    // A full push forgets everything and empties the template's maps.
    p4rt::BindOptions full;
    full.clear_all = true;
    s.entities.bind(s.p4.info, s.slots, full);
    CHECK(dump_map(s.dir.path() / "chima_int_watchlist").empty());
    CHECK(dump_map(s.dir.path() / "chima_prefix_routes").empty());
    CHECK(dump_map(s.dir.path() / "chima_mac_routes").empty());
    std::memcpy(&target, dump_map(s.dir.path() / "chima_int_report")[0].second.data(),
                sizeof target);
    CHECK(target.port == 0);
    CHECK(all_tables(s).empty());
}

TEST_CASE("p4rt: switch_config sets the INT hop count a source writes, int_report the collector") {
    P4rtSwitch s;
    // Through P4Runtime only: 10.0.1.0/24 out of port 2, the flow 10.0.0.1 -> 10.0.1.2
    // watched (Ipv4Fields' addresses), switch id 42 with 3 hops.
    s.write(EntryBuilder(s.fwd)
                .lpm(s.fwd_dst, be(0x0a000100, 4), 24)
                .action(s.forward, {"\x02"})
                .update(Update::INSERT));
    s.write(
        EntryBuilder(s.p4.id_of("ChimaIngress.int_source"))
            .exact(s.p4.field_id("ChimaIngress.int_source", "hdr.ipv4.src_addr"), be(0x0a000001, 4))
            .exact(s.p4.field_id("ChimaIngress.int_source", "hdr.ipv4.dst_addr"), be(0x0a000102, 4))
            .action(s.p4.id_of("ChimaIngress.mark_int_source"))
            .update(Update::INSERT));
    uint32_t cfg = s.p4.id_of("ChimaIngress.switch_config");
    uint32_t set_id = s.p4.id_of("ChimaIngress.set_switch_id");
    auto switch_config = [&](const std::string& hops) {
        return EntryBuilder(cfg).priority(1).action(set_id, {"\x2a", hops});
    };
    auto int_config = [&] {
        auto entries = dump_map(s.dir.path() / "chima_int_config");
        REQUIRE(entries.size() == 1);
        chima_int_config c{};
        std::memcpy(&c, entries[0].second.data(), sizeof c);
        return c;
    };
    // The watched packet leaves port 2 with INT whose remaining hop count is `remaining` and
    // whose one hop carries `switch_id` (timestamps from the output: the kernel's clock).
    Bytes payload = payload_of(12);
    auto expect_source = [&](uint8_t remaining, uint32_t switch_id) {
        Ipv4Fields ip;
        RunResult r = s.run(
            concat({ethernet(kSwitchMac + 1, kHostA, kIpv4), udp_packet(ip, 5000, 6000, payload)}));
        REQUIRE(r.verdict == TC_ACT_REDIRECT);
        size_t hop_at = 14 + 20 + 8 + 12;
        REQUIRE(r.output.size() >= hop_at + 12);
        IntHop hop{read32(r.output, hop_at), read32(r.output, hop_at + 4),
                   read32(r.output, hop_at + 8)};
        CHECK(hop.switch_id == switch_id);
        ip.dscp = 0x17;
        Bytes expected = concat(
            {ethernet(peer_mac(2), own_mac(2), kIpv4),
             udp_packet(ip, 5000, 6000, concat({int_header(0, remaining, {hop}), payload}))});
        CHECK_MESSAGE(r.output == expected,
                      "got:" << hex(r.output) << "\nexpected:" << hex(expected));
    };

    s.write(switch_config("\x03").update(Update::INSERT));
    CHECK(int_config().switch_id == 42);
    CHECK(int_config().initial_hops == 3);
    expect_source(2, 42);  // 3 less this hop
    // initial_hops 0 is the program's default, as on v1model.
    s.write(switch_config(be(0, 1)).update(Update::MODIFY));
    expect_source(CHIMA_INT_DEFAULT_HOPS - 1, 42);
    // More hops than the switch's INT stack holds: refused, nothing changed.
    s.write(switch_config("\x05").update(Update::MODIFY));
    auto before = dump_map(s.dir.path() / "chima_int_config");
    CHECK(code_of([&] {
              s.write(switch_config(be(CHIMA_INT_MAX_HOPS + 1, 1)).update(Update::MODIFY));
          }) == StatusCode::OUT_OF_RANGE);
    CHECK(dump_map(s.dir.path() / "chima_int_config") == before);
    CHECK(int_config().initial_hops == 5);
    expect_source(4, 42);
    // DELETE puts back no id and the default hop count.
    s.write(EntryBuilder(cfg).priority(1).update(Update::DELETE));
    CHECK(int_config().switch_id == 0);
    expect_source(CHIMA_INT_DEFAULT_HOPS - 1, 0);

    // The report target: collector, its MAC, the report's source and both UDP ports, and the
    // port the report leaves by.
    uint32_t report = s.p4.id_of("ChimaEgress.int_report");
    uint32_t endpoints = s.p4.id_of("ChimaEgress.set_report_endpoints");
    auto report_entry = [&](uint32_t port, uint16_t collector_udp_port) {
        return EntryBuilder(report).priority(1).action(
            endpoints, {be(own_mac(port), 6), be(0x0200000000cc, 6), be(0x0a0000fe, 4),
                        be(0x0a0000c8, 4), be(40000, 2), be(collector_udp_port, 2), be(port, 1)});
    };
    auto report_target = [&] {
        auto entries = dump_map(s.dir.path() / "chima_int_report");
        REQUIRE(entries.size() == 1);
        chima_int_report_config t{};
        std::memcpy(&t, entries[0].second.data(), sizeof t);
        return t;
    };
    s.write(report_entry(2, 9555).update(Update::INSERT));
    chima_int_report_config target = report_target();
    CHECK(target.port == 2);
    CHECK(target.collector_addr == 0x0a0000c8u);
    CHECK(target.source_addr == 0x0a0000feu);
    CHECK(target.source_udp_port == 40000);
    CHECK(target.collector_udp_port == 9555);
    CHECK(Bytes(target.collector_mac, target.collector_mac + 6) ==
          Bytes{0x02, 0x00, 0x00, 0x00, 0x00, 0xcc});
    // It reads back as written: no match, seven parameters.
    auto got = s.read_table(report);
    REQUIRE(got.size() == 1);
    CHECK(got[0].table_entry().match_size() == 0);
    const auto& action = got[0].table_entry().action().action();
    REQUIRE(action.params_size() == 7);
    CHECK(action.params(3).value() == be(0x0a0000c8, 4));
    CHECK(action.params(4).value() == be(40000, 2));
    CHECK(action.params(5).value() == be(9555, 2));
    CHECK(action.params(6).value() == "\x02");

    // MODIFY moves it to port 3 and another collector port.
    s.write(report_entry(3, 6000).update(Update::MODIFY));
    CHECK(report_target().port == 3);
    CHECK(report_target().collector_udp_port == 6000);
    // A port the switch has not is refused, nothing changed.
    auto reports_before = dump_map(s.dir.path() / "chima_int_report");
    for (uint32_t bad : {0u, static_cast<uint32_t>(CHIMA_MAX_PORTS)}) {
        CAPTURE(bad);
        CHECK(code_of([&] { s.write(report_entry(bad, 6000).update(Update::MODIFY)); }) ==
              StatusCode::INVALID_ARGUMENT);
        CHECK(dump_map(s.dir.path() / "chima_int_report") == reports_before);
    }
    // DELETE: no reports (port 0).
    s.write(EntryBuilder(report).priority(1).update(Update::DELETE));
    CHECK(report_target().port == 0);
    CHECK(s.read_table(report).empty());
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
    // Every cell of every counter: the function's hits (8), then the template's, whose
    // generated sizes are the switch's drop reasons and ports.
    size_t cells = 0;
    for (const auto& c : s.p4.info.counters())
        cells += static_cast<size_t>(c.size());
    CHECK(cells == 8 + CHIMA_DROP_REASON_COUNT + 2 * CHIMA_MAX_PORTS);
    CHECK(s.read(all_counters).size() == cells);

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

    // Drops per reason: the counter the template names ChimaIngress.drops.
    ::p4::v1::Entity drops;
    drops.mutable_counter_entry()->set_counter_id(s.p4.id_of("ChimaIngress.drops"));
    drops.mutable_counter_entry()->mutable_index()->set_index(CHIMA_DROP_EMPTY_SLOT);
    uint64_t empty_before = s.drops(CHIMA_DROP_EMPTY_SLOT);
    Ipv4Fields ip;
    s.run(concat({ethernet(kSwitchMac + 1, kHostA, kMpls), mpls({fn(9), adj(2)}),
                  udp_packet(ip, 1, 2, payload_of(8))}));
    CHECK(s.drops(CHIMA_DROP_EMPTY_SLOT) == empty_before + 1);
    CHECK(s.read(drops).at(0).counter_entry().data().packet_count() ==
          static_cast<int64_t>(empty_before + 1));

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
                .lpm(s.fwd_dst, be(0x0b000000, 4), 8)
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
    s.sw.install_function(kSlot, s.compiled.object_path);  // new maps: empty
    s.entities.bind(s.p4.info, s.slots, replaced);
    CHECK(s.read_table(s.acl).empty());
    CHECK(s.read_table(s.fwd).size() == 1);
    CHECK(P4rtSwitch::dscp_of(s.through_function(0x0a000102, 80)) == 0);
}

namespace {

Bytes packet_to(uint32_t dst) {
    Ipv4Fields ip;
    ip.dst = dst;
    return concat({ethernet(kSwitchMac + 1, kHostA, kIpv4), udp_packet(ip, 1, 2, payload_of(8))});
}

uint32_t int_switch_id(P4rtSwitch& s) {
    auto config = dump_map(s.dir.path() / "chima_int_config");
    REQUIRE(config.size() == 1);
    chima_int_config c{};
    std::memcpy(&c, config[0].second.data(), sizeof c);
    return c.switch_id;
}

// The committed state of the take_over tests: three routes, a switch id, an ACL entry.
struct Committed : P4rtSwitch {
    uint32_t cfg = p4.id_of("ChimaIngress.switch_config");
    uint32_t set_id = p4.id_of("ChimaIngress.set_switch_id");
    p4rt::Entities staged{nullptr};

    Committed() {
        for (uint32_t net : {0x0b000100u, 0x0b000200u, 0x0b000300u})
            write(route(net).update(Update::INSERT));
        write(
            EntryBuilder(cfg).priority(1).action(set_id, {"\x2a", "\x04"}).update(Update::INSERT));
        write(acl_entry(0x0c000001, 0xffffffff, 5).action(deny).update(Update::INSERT));
        staged.bind(p4.info, slots);
    }
    EntryBuilder route(uint32_t net) const {
        return std::move(EntryBuilder(fwd).lpm(fwd_dst, be(net, 4), 24).action(forward, {"\x02"}));
    }
    void stage(const Update& u) { staged.write(u); }
};

}  // namespace

TEST_CASE("p4rt: take_over brings the maps to a staged shadow by difference") {
    Committed s;
    // Staged: the first route as it is, the second one dropping, the third gone, a fourth
    // new; another switch id entry (the same map cell); no ACL entry; a counter cell.
    s.stage(s.route(0x0b000100).update(Update::INSERT));
    s.stage(EntryBuilder(s.fwd)
                .lpm(s.fwd_dst, be(0x0b000200, 4), 24)
                .action(s.drop)
                .update(Update::INSERT));
    s.stage(s.route(0x0b000400).update(Update::INSERT));
    s.stage(
        EntryBuilder(s.cfg).priority(2).action(s.set_id, {"\x05", "\x04"}).update(Update::INSERT));
    Update count;
    count.set_type(Update::MODIFY);
    auto* ce = count.mutable_entity()->mutable_counter_entry();
    ce->set_counter_id(s.hits);
    ce->mutable_index()->set_index(1);
    ce->mutable_data()->set_packet_count(9);
    s.stage(count);
    // Nothing reached the switch yet.
    CHECK(s.run(packet_to(0x0b000305)).verdict == TC_ACT_REDIRECT);
    s.expect_dropped(packet_to(0x0b000405), CHIMA_DROP_NO_ROUTE);
    CHECK(int_switch_id(s) == 0x2a);

    s.entities.take_over(s.staged, {});
    CHECK(s.run(packet_to(0x0b000105)).verdict == TC_ACT_REDIRECT);
    s.expect_dropped(packet_to(0x0b000205), CHIMA_DROP_BAD_PORT);
    s.expect_dropped(packet_to(0x0b000305), CHIMA_DROP_NO_ROUTE);
    CHECK(s.run(packet_to(0x0b000405)).verdict == TC_ACT_REDIRECT);
    CHECK(int_switch_id(s) == 5);
    CHECK(s.through_function(0x0c000001, 80).verdict == TC_ACT_REDIRECT);  // the deny is gone
    // The switch's entities answer with the staged state.
    CHECK(s.read_table(s.fwd).size() == 3);
    CHECK(s.read_table(s.acl).empty());
    ::p4::v1::Entity cell;
    cell.mutable_counter_entry()->set_counter_id(s.hits);
    cell.mutable_counter_entry()->mutable_index()->set_index(1);
    auto got = s.read(cell);
    REQUIRE(got.size() == 1);
    CHECK(got[0].counter_entry().data().packet_count() == 9);
}

TEST_CASE("p4rt: a take_over the kernel refuses half-way undoes what it wrote") {
    Committed s;
    s.stage(s.route(0x0b000400).update(Update::INSERT));
    s.stage(
        EntryBuilder(s.cfg).priority(2).action(s.set_id, {"\x05", "\x04"}).update(Update::INSERT));
    s.stage(s.acl_entry(0x0c000002, 0xffffffff, 5).action(s.deny).update(Update::INSERT));
    // The ACL's map cannot be opened any more: its write fails after the routes' erasures
    // and writes.
    std::string acl_map;
    for (const auto& t : s.compiled.p4info.at("tables"))
        if (t.at("name") == "acl")
            acl_map = t.at("map");
    REQUIRE(std::filesystem::remove(s.sw.slot_dir(kSlot) / acl_map));
    CHECK_THROWS(s.entities.take_over(s.staged, {}));
    // Everything as before: the three routes, the switch id, the committed entities.
    for (uint32_t dst : {0x0b000105u, 0x0b000205u, 0x0b000305u})
        CHECK(s.run(packet_to(dst)).verdict == TC_ACT_REDIRECT);
    s.expect_dropped(packet_to(0x0b000405), CHIMA_DROP_NO_ROUTE);
    CHECK(int_switch_id(s) == 0x2a);
    CHECK(s.read_table(s.fwd).size() == 3);
    CHECK(s.read_table(s.acl).size() == 1);
}
