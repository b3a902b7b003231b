// chima-install's table-entry path through a real switch: a P4 function compiled by
// chima-compile's library goes into a switch slot, then its entries are written into the
// maps the switch pinned for the slot (after the object itself was closed) -- exactly what
// install_p4.cpp does -- and packets through the switch show the entry's effect.
#include <doctest/doctest.h>

#include "chima/unique_fd.hpp"
#include "chima/deploy/compile_deployment.hpp"
#include "chima/p4/compiler.hpp"
#include "chima/bpf/table_entries.hpp"
#include "p4fn_support.hpp"
#include "switch_fixture.hpp"

using namespace chima;
using namespace chima::test;

namespace {

constexpr uint16_t kIpv4 = 0x0800;
constexpr uint16_t kMpls = 0x8847;

Bytes routed(uint32_t port, uint16_t ether_type, const Bytes& rest) {
    return concat({ethernet(peer_mac(port), own_mac(port), ether_type), rest});
}

Bytes from_host(uint16_t ether_type, const Bytes& rest) {
    return concat({ethernet(kSwitchMac + 1, kHostA, ether_type), rest});
}

p4::CompiledFunction compile(const char* file, const char* control) {
    p4::CompileOptions opts;
    opts.build_dir = p4_build_dir();
    return p4::compile_function(repo_root() / "p4" / "functions" / file, control, opts);
}

// dscp_marker with the entry as service.yaml writes it (10.0.1.2/UDP -> DSCP 46), resolved
// like chima-compile does.
PlacedFunction marker_with_entry() {
    PlacedFunction f;
    f.chain = "c";
    f.spec.name = "marker";
    f.spec.type = FunctionType::P4;
    TableEntry e;
    e.table = "marks";
    e.match = {{"dst_addr", "10.0.1.2"}, {"protocol", "17"}};
    e.action = "set_dscp";
    e.params = {{"dscp", "46"}};
    f.spec.entries = {e};
    return f;
}

}  // namespace

TEST_CASE("compile + install: dscp_marker's service.yaml entry in the slot's pinned map") {
    SwitchFixture s;
    auto c = compile("dscp_marker.p4", "dscp_marker");
    s.sw.install_function(3, c.object_path);

    PlacedFunction f = marker_with_entry();
    Ipv4Fields fields;
    bpf::install_const_entries(s.sw.slot_dir(3), c.p4info);
    for (const auto& spec : deploy::resolve_entries(f, c.p4info))
        bpf::install_entry(s.sw.slot_dir(3), c.p4info, spec);

    Bytes ip = udp_packet(fields, 5000, 6000, payload_of(20));
    Ipv4Fields marked = fields;
    marked.dscp = 46;
    Bytes out = routed(2, kIpv4, udp_packet(marked, 5000, 6000, payload_of(20)));
    s.expect_forwarded(from_host(kMpls, concat({mpls({fn(3), adj(2)}), ip})), out, 2);
    CHECK(ipv4_checksum_ok(out, 14));

    // Another destination misses the table: DSCP untouched.
    Ipv4Fields other = fields;
    other.dst = 0x0a000103;
    Bytes ip2 = udp_packet(other, 5000, 6000, payload_of(20));
    s.expect_forwarded(from_host(kMpls, concat({mpls({fn(3), adj(2)}), ip2})),
                       routed(2, kIpv4, ip2), 2);
}

TEST_CASE("compile + install: entries go in before the slot goes live, a failure keeps the old") {
    SwitchFixture s;
    auto c = compile("dscp_marker.p4", "dscp_marker");
    PlacedFunction f = marker_with_entry();

    bool called = false;
    s.sw.install_function(3, c.object_path, {}, [&](const std::filesystem::path& maps) {
        called = true;
        CHECK(s.sw.slot_program_id(3) == 0);  // not live yet
        for (const auto& spec : deploy::resolve_entries(f, c.p4info))
            bpf::install_entry(maps, c.p4info, spec);
    });
    CHECK(called);
    uint32_t live = s.sw.slot_program_id(3);
    CHECK(live != 0);
    // The first packet already meets the entry.
    Ipv4Fields fields;
    Ipv4Fields marked = fields;
    marked.dscp = 46;
    s.expect_forwarded(from_host(kMpls, concat({mpls({fn(3), adj(2)}),
                                                udp_packet(fields, 5000, 6000, payload_of(20))})),
                       routed(2, kIpv4, udp_packet(marked, 5000, 6000, payload_of(20))), 2);

    // Entries that cannot be written: the slot keeps the function it had, with its maps.
    CHECK_THROWS(s.sw.install_function(3, c.object_path, {}, [](const std::filesystem::path&) {
        throw RuntimeError("entry refused");
    }));
    CHECK(s.sw.slot_program_id(3) == live);
    CHECK(std::filesystem::exists(s.sw.slot_dir(3)));
    CHECK_FALSE(std::filesystem::exists(s.sw.slot_dir(3).string() + "-next"));
}

TEST_CASE("compile + install: const entries land in the slot's pinned maps") {
    SwitchFixture s;
    p4::CompileOptions opts;
    opts.build_dir = p4_build_dir();
    auto c =
        p4::compile_function(std::string(CHIMA_TEST_DATA) + "/p4/fn/const_entries.p4", "", opts);
    s.sw.install_function(5, c.object_path);
    bpf::install_const_entries(s.sw.slot_dir(5), c.p4info);

    const auto& table = c.p4info.at("tables").at(0);
    std::string map = table.at("map");
    int fd = bpf_obj_get((s.sw.slot_dir(5) / map).c_str());
    REQUIRE(fd >= 0);
    UniqueFd owned(fd);
    std::vector<uint8_t> key(table.at("key_size").get<size_t>()), next(key.size());
    int entries = 0;
    void* prev = nullptr;
    while (bpf_map_get_next_key(fd, prev, next.data()) == 0) {
        ++entries;
        key = next;
        prev = key.data();
    }
    CHECK(entries == 4);  // the four const entries of `classify`
}

TEST_CASE("compile + install: a missing pinned map is a clear error") {
    SwitchFixture s;
    auto c = compile("dscp_marker.p4", "dscp_marker");
    p4::EntrySpec spec;
    spec.table = "marks";
    spec.action = "NoAction";
    spec.keys.resize(2);
    CHECK_THROWS_AS(bpf::install_entry(s.sw.slot_dir(7), c.p4info, spec), Error);
}
