#include <doctest/doctest.h>

#include "chima/error.hpp"
#include "chima/label_stack.hpp"
#include "chima/segment_id.hpp"

using chima::LabelStack;
using chima::SegmentId;
using chima::SidKind;

TEST_CASE("SegmentId: the paper's SID blocks") {
    CHECK(SegmentId::function(3).label() == 0x40003);
    CHECK(SegmentId::adjacency(2).label() == 0x80002);
    CHECK(SegmentId::int_to_host().label() == 0xC0000);
    CHECK(SegmentId::function_end(1).label() == 0xC0001);
    CHECK(SegmentId::function(0x3FFFF).label() == 0x7FFFF);
    CHECK(SegmentId::adjacency(0x3FFFF).label() == 0xBFFFF);
    CHECK(SegmentId::function_end(0x3FFFF).label() == 0xFFFFF);
}

TEST_CASE("SegmentId: decode is the inverse of label") {
    for (uint32_t label : {0x40000u, 0x40001u, 0x7FFFFu, 0x80000u, 0x80005u, 0xBFFFFu, 0xC0000u,
                           0xC0001u, 0xFFFFFu}) {
        CHECK(SegmentId::decode(label).label() == label);
    }
    CHECK(SegmentId::decode(0xC0000).kind() == SidKind::IntToHost);
    CHECK(SegmentId::decode(0xC0007).kind() == SidKind::FunctionEnd);
    CHECK(SegmentId::decode(0xC0007).arg() == 7);
    CHECK(SegmentId::decode(0x80002).str() == "adjacency:2");
}

TEST_CASE("SegmentId: out-of-block values are refused") {
    CHECK_THROWS_AS(SegmentId::decode(0x00010), chima::InputError);
    CHECK_THROWS_AS(SegmentId::decode(0x100000), chima::InputError);
    CHECK_THROWS_AS(SegmentId::adjacency(0x40000), chima::InputError);
    CHECK_THROWS_AS(SegmentId::function_end(0), chima::InputError);
}

TEST_CASE("LabelStack: RFC 3032 encoding with S on the last entry") {
    LabelStack s;
    s.push_back(SegmentId::adjacency(1));
    s.push_back(SegmentId::function(2));
    auto bytes = s.encode(64);
    REQUIRE(bytes.size() == 8);
    // 0x80001 << 12 = 0x80001000, S=0, TTL 64
    CHECK(bytes[0] == 0x80);
    CHECK(bytes[1] == 0x00);
    CHECK(bytes[2] == 0x10);
    CHECK(bytes[3] == 64);
    // 0x40002 << 12 | S
    CHECK(bytes[4] == 0x40);
    CHECK(bytes[5] == 0x00);
    CHECK(bytes[6] == 0x21);
    CHECK(bytes[7] == 64);
    CHECK(LabelStack::decode(bytes.data(), bytes.size()) == s);
}

TEST_CASE("LabelStack: at most 8 entries, truncated stacks refused") {
    LabelStack s;
    for (int i = 0; i < 8; ++i)
        s.push_back(SegmentId::adjacency(i));
    CHECK_THROWS_AS(s.push_back(SegmentId::adjacency(9)), chima::InputError);
    auto bytes = s.encode();
    CHECK_THROWS_AS(LabelStack::decode(bytes.data(), bytes.size() - 1), chima::InputError);
}
