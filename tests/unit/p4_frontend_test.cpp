// Front-end properties beyond the corpus: operator precedence as the P4-16 grammar defines
// it, constant folding, the ABI of headers.p4 against bpf/include/chima/pipeline.h, and whole
// v1model programs (check_program).
#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <fstream>
#include <sstream>

#include "chima/p4/checker.hpp"
#include "chima/pipeline.h"

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

std::string paren(const Expr& e) {
    switch (e.kind) {
        case ExprKind::Name:
            return e.name;
        case ExprKind::Int:
            return std::to_string(e.value);
        case ExprKind::Member:
            return paren(*e.kids[0]) + "." + e.name;
        case ExprKind::Binary:
            return "(" + paren(*e.kids[0]) + " " + e.name + " " + paren(*e.kids[1]) + ")";
        case ExprKind::Unary:
            return "(" + e.name + paren(*e.kids[0]) + ")";
        case ExprKind::Ternary:
            return "(" + paren(*e.kids[0]) + " ? " + paren(*e.kids[1]) + " : " + paren(*e.kids[2]) +
                   ")";
        case ExprKind::Cast:
            return "(cast " + paren(*e.kids[0]) + ")";
        default:
            return "?";
    }
}

// Parses `bool r = EXPR;` inside a function and returns EXPR fully parenthesised.
std::string shape(const std::string& expr, const std::string& type = "bool") {
    Diagnostics d;
    std::string text =
        "control f(inout headers_t h, inout local_metadata_t m, inout standard_metadata_t s) {\n"
        "    apply { bit<8> a = 1; bit<8> b = 2; bit<8> c = 3; " +
        type + " r = " + expr + "; }\n}\n";
    auto fn = check_function(text, "p.p4", "", options(), d);
    std::string diags;
    for (const auto& x : d.list())
        diags += x.str() + "\n";
    INFO(diags);
    REQUIRE(fn.control);
    return paren(*fn.control->body->stmts.back()->decl->init);
}

}  // namespace

TEST_CASE("p4 precedence: comparisons bind looser than & ^ |, shifts looser than + -") {
    CHECK(shape("a & b == c") == "((a & b) == c)");
    CHECK(shape("a | b ^ c & a == b") == "((a | (b ^ (c & a))) == b)");
    CHECK(shape("a + b << 1 == c", "bool") == "(((a + b) << 1) == c)");
    CHECK(shape("a * b + c", "bit<8>") == "((a * b) + c)");
    CHECK(shape("a - b - c", "bit<8>") == "((a - b) - c)");
    CHECK(shape("a < b && b < c || a == c") == "(((a < b) && (b < c)) || (a == c))");
    CHECK(shape("a >> 1 >> 2", "bit<8>") == "((a >> 1) >> 2)");
    CHECK(shape("a + b ++ c", "bit<16>") == "((a + b) ++ c)");
    CHECK(shape("-a + b", "bit<8>") == "((-a) + b)");
    CHECK(shape("a == b ? a : b", "bit<8>") == "((a == b) ? a : b)");
}

TEST_CASE("p4 constants fold at their width") {
    Diagnostics d;
    auto fn = check_function(
        "const bit<8> A = 8w200 + 8w100;\n"  // wraps to 44
        "const int B = 3 * (4 + 5);\n"
        "control f(inout headers_t h, inout local_metadata_t m, inout standard_metadata_t s) {\n"
        "    apply { h.ipv4.ttl = A; m.user0 = B; }\n}\n",
        "c.p4", "", options(), d);
    REQUIRE(d.empty());
    const auto& body = fn.control->body->stmts;
    CHECK(body[0]->rhs->value == 44);
    CHECK(body[1]->rhs->value == 27);
    CHECK(body[1]->rhs->type.str() == "bit<32>");
}

TEST_CASE("p4 ABI: headers.p4 field names and widths fit pipeline.h") {
    auto fn = check_function_file(root() / "p4" / "functions" / "changettl.p4", "", options());
    std::map<std::string, const Decl*> types;
    for (const auto& d : fn.program->decls)
        types[d->name] = d.get();
    auto width = [&](const Field& f) -> int {
        if (f.type.width)
            return static_cast<int>(f.type.width->value);
        return static_cast<int>(types.at(f.type.name)->type.width->value);  // typedef
    };
    auto bytes_for = [](int w) { return w <= 8 ? 1 : w <= 16 ? 2 : w <= 32 ? 4 : 8; };
    // The C side: sizeof of each member, by name.
    std::map<std::string, size_t> c = {
        {"ethernet_t.dst_addr", sizeof(chima_ethernet_h::dst_addr)},
        {"ethernet_t.src_addr", sizeof(chima_ethernet_h::src_addr)},
        {"ethernet_t.ether_type", sizeof(chima_ethernet_h::ether_type)},
        {"ipv4_t.version", sizeof(chima_ipv4_h::version)},
        {"ipv4_t.ihl", sizeof(chima_ipv4_h::ihl)},
        {"ipv4_t.dscp", sizeof(chima_ipv4_h::dscp)},
        {"ipv4_t.ecn", sizeof(chima_ipv4_h::ecn)},
        {"ipv4_t.len", sizeof(chima_ipv4_h::len)},
        {"ipv4_t.identification", sizeof(chima_ipv4_h::identification)},
        {"ipv4_t.flags", sizeof(chima_ipv4_h::flags)},
        {"ipv4_t.frag_offset", sizeof(chima_ipv4_h::frag_offset)},
        {"ipv4_t.ttl", sizeof(chima_ipv4_h::ttl)},
        {"ipv4_t.protocol", sizeof(chima_ipv4_h::protocol)},
        {"ipv4_t.hdr_checksum", sizeof(chima_ipv4_h::hdr_checksum)},
        {"ipv4_t.src_addr", sizeof(chima_ipv4_h::src_addr)},
        {"ipv4_t.dst_addr", sizeof(chima_ipv4_h::dst_addr)},
        {"tcp_t.src_port", sizeof(chima_tcp_h::src_port)},
        {"tcp_t.dst_port", sizeof(chima_tcp_h::dst_port)},
        {"tcp_t.seq_no", sizeof(chima_tcp_h::seq_no)},
        {"tcp_t.ack_no", sizeof(chima_tcp_h::ack_no)},
        {"tcp_t.data_offset", sizeof(chima_tcp_h::data_offset)},
        {"tcp_t.res", sizeof(chima_tcp_h::res)},
        {"tcp_t.ecn", sizeof(chima_tcp_h::ecn)},
        {"tcp_t.ctrl", sizeof(chima_tcp_h::ctrl)},
        {"tcp_t.window", sizeof(chima_tcp_h::window)},
        {"tcp_t.checksum", sizeof(chima_tcp_h::checksum)},
        {"tcp_t.urgent_ptr", sizeof(chima_tcp_h::urgent_ptr)},
        {"udp_t.src_port", sizeof(chima_udp_h::src_port)},
        {"udp_t.dst_port", sizeof(chima_udp_h::dst_port)},
        {"udp_t.len", sizeof(chima_udp_h::len)},
        {"udp_t.checksum", sizeof(chima_udp_h::checksum)},
        {"local_metadata_t.l4_src_port", sizeof(chima_local_metadata::l4_src_port)},
        {"local_metadata_t.l4_dst_port", sizeof(chima_local_metadata::l4_dst_port)},
        {"local_metadata_t.chain_id", sizeof(chima_local_metadata::chain_id)},
        {"local_metadata_t.user0", sizeof(chima_local_metadata::user0)},
        {"local_metadata_t.user1", sizeof(chima_local_metadata::user1)},
        {"standard_metadata_t.ingress_port", sizeof(chima_standard_metadata::ingress_port)},
        {"standard_metadata_t.egress_spec", sizeof(chima_standard_metadata::egress_spec)},
        {"standard_metadata_t.egress_port", sizeof(chima_standard_metadata::egress_port)},
        {"standard_metadata_t.packet_length", sizeof(chima_standard_metadata::packet_length)},
        {"standard_metadata_t.ingress_global_timestamp",
         sizeof(chima_standard_metadata::ingress_global_timestamp)},
    };
    size_t seen = 0;
    for (const char* t :
         {"ethernet_t", "ipv4_t", "tcp_t", "udp_t", "local_metadata_t", "standard_metadata_t"}) {
        for (const auto& f : types.at(t)->fields) {
            std::string key = std::string(t) + "." + f.name;
            INFO(key);
            // Whole programs see all of v1model's standard metadata; functions only the ABI's.
            if (std::string(t) == "standard_metadata_t" && !c.count(key))
                continue;
            REQUIRE(c.count(key));
            CHECK(static_cast<size_t>(bytes_for(width(f))) == c.at(key));
            ++seen;
        }
    }
    CHECK(seen == c.size());
    // headers_t members are the four headers, as the C struct has them.
    std::vector<std::string> members;
    for (const auto& f : types.at("headers_t")->fields)
        members.push_back(f.name);
    CHECK(members == std::vector<std::string>{"ethernet", "ipv4", "tcp", "udp"});
}

TEST_CASE("p4 check_program: a whole v1model program checks, a broken injection is caught") {
    auto read = [](const fs::path& p) {
        std::ifstream in(p);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    };
    fs::path dir = fs::path(CHIMA_TEST_DATA) / "p4" / "programs";
    for (const char* good : {"basic_v1model.p4", "stacks_and_externs.p4"}) {
        Diagnostics d;
        check_program(read(dir / good), good, options(), d);
        std::string all;
        for (const auto& x : d.list())
            all += x.str() + "\n";
        INFO(all);
        CHECK(d.empty());
    }
    {
        Diagnostics d;
        check_program(read(dir / "broken_injection.p4"), "broken_injection.p4", options(), d);
        REQUIRE(!d.empty());
        CHECK(d.list()[0].code == "E0300");
        CHECK(d.list()[0].mark.line == 71);
    }
}
