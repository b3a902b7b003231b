// The BPF map layout of a compiled function: ids of its tables and actions, and the byte
// layout of every table's map key and value. The C back end and the P4Info JSON both come
// from this one description, so user space can write entries without recompiling.
//
// Table maps (all integers host order unless noted):
//   exact   BPF_MAP_TYPE_HASH      key: the key fields, each in the smallest of 1/2/4/8
//                                  bytes, naturally aligned, padding zero
//   lpm     BPF_MAP_TYPE_LPM_TRIE  key: u32 prefixlen, then the exact fields big-endian in
//                                  their container bytes, then the lpm field big-endian,
//                                  left-aligned in ceil(W/8) bytes
//   ternary tuple-space search: BPF_MAP_TYPE_HASH keyed by (u32 mask_id, masked fields) -- one
//           hash table per distinct mask, sharing a map -- plus an ARRAY `masks` of max_masks
//           slots whose value is the key layout with mask_id = 1 for a slot in use and the
//           mask bits in the fields. Lookup walks the used mask slots (a bounded loop over
//           masks, never over entries) and keeps the highest priority.
//   value (every kind): u32 action_id @0, u32 priority @4, then the action's parameters from
//           offset 8, each in its container, naturally aligned.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "chima/p4/checker.hpp"

namespace chima::p4 {

enum class TableKind { Exact, Lpm, Ternary };

struct FieldLayout {
    std::string name;   // source text of the key expression or the parameter name
    std::string match;  // exact/lpm/ternary (keys only)
    int width = 0;      // bits
    int offset = 0;     // bytes from the start of the key/value
    int size = 0;       // bytes
    bool big_endian = false;
    int p4_index = 0;  // keys: position in the P4 key list
};

struct ActionLayout {
    int id = 0;
    std::string name;
    const Decl* decl = nullptr;
    std::vector<FieldLayout> params;  // control-plane (directionless) parameters
};

struct TableLayout {
    int id = 0;
    std::string name;
    const Decl* decl = nullptr;
    TableKind kind = TableKind::Exact;
    std::string map;        // the entries map (ELF/object name)
    std::string masks_map;  // ternary only
    int max_masks = 0;
    int size = 1024;
    int key_size = 0;
    int value_size = 0;
    std::vector<FieldLayout> keys;
    std::vector<int> action_ids;
    int default_action_id = 0;
    std::vector<uint64_t> default_args;
};

struct ExternLayout {
    std::string name;
    std::string map;
    std::string kind;  // "register" or "counter"
    int width = 0;     // register element width
    int value_size = 0;
    int size = 0;
    std::string counter_type;
};

struct FunctionLayout {
    std::string function;
    std::string program = "chima_function";
    std::vector<ActionLayout> actions;
    std::vector<TableLayout> tables;
    std::vector<ExternLayout> externs;

    const ActionLayout* action(const std::string& name) const;
    const ActionLayout* action(const Decl* d) const;
    const TableLayout* table(const std::string& name) const;
};

// Ternary tables: distinct masks a table can hold.
constexpr int kTernaryMaxMasks = 32;

// Bytes of the container of a W-bit value: 1, 2, 4 or 8.
int container_bytes(int width);

FunctionLayout layout_function(const CheckedFunction& fn);

// The P4Info-like JSON of a function (documented in layout.hpp and docs).
nlohmann::json p4info_json(const FunctionLayout& layout, const CheckedFunction& fn);

// Source text of an expression, for names in P4Info ("hdr.ipv4.dst_addr").
std::string expr_text(const Expr& e);

}  // namespace chima::p4
