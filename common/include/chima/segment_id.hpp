// SegmentId: one CHIMA SID (an MPLS label value) with its block and argument.
#pragma once

#include <cstdint>
#include <string>

extern "C" {
#include "chima/sid.h"
}

namespace chima {

enum class SidKind {
    Function,   // 0x40000 | slot: run the P4 function in that slot of this switch
    Adjacency,  // 0x80000 | port: pop and forward out of that port
    IntToHost,  // 0xC0000: keep INT data and hand the packet to the attached host
    FunctionEnd // 0xC0000 | id (id >= 1): container function <id> finished
};

class SegmentId {
public:
    // Throws InputError when the argument does not fit its block.
    static SegmentId function(uint32_t slot);
    static SegmentId adjacency(uint32_t port);
    static SegmentId int_to_host();
    static SegmentId function_end(uint32_t function_id);

    // Decodes a 20-bit label; InputError for a label outside CHIMA's blocks.
    static SegmentId decode(uint32_t label);

    SidKind kind() const { return kind_; }
    uint32_t arg() const { return arg_; }
    uint32_t label() const;

    // "function:3", "adjacency:2", "int-to-host", "function-end:5"
    std::string str() const;
    // Short kind name as written in JSON: "function", "adjacency", "int-to-host",
    // "function-end".
    static const char* kind_name(SidKind kind);

    bool operator==(const SegmentId&) const = default;

private:
    SegmentId(SidKind kind, uint32_t arg) : kind_(kind), arg_(arg) {}
    SidKind kind_;
    uint32_t arg_;
};

}  // namespace chima
