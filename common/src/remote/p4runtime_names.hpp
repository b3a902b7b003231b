// A device's P4Info by name: tables, match fields, actions, params and counters resolved
// to the ids the device gave them, and values encoded as P4Runtime bytestrings of the
// P4Info's bitwidth (the canonical, shortest form: "Bytestrings").
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "p4/config/v1/p4info.pb.h"
#include "p4/v1/p4runtime.pb.h"

namespace chima::remote::detail {

// The canonical bytestring of `value` for a bit<bitwidth> field; InputError naming `what`
// when the value does not fit.
std::string bitstring(uint64_t value, int bitwidth, const std::string& what);
uint64_t bitstring_value(const std::string& bytes);

// One key field of an entry, by its P4Info name.
struct FieldMatch {
    enum class Kind { Exact, Lpm, Ternary };
    std::string field;
    Kind kind = Kind::Exact;
    uint64_t value = 0;
    int prefix_len = 0;  // lpm: 0 leaves the field out (don't care)
    uint64_t mask = 0;   // ternary: 0 leaves the field out (don't care)
};

class P4InfoNames {
  public:
    // `where` names the device in errors ("switch s1 (addr)").
    P4InfoNames(const ::p4::config::v1::P4Info& info, std::string where);

    // A table entry of `table` with `keys` (and the priority a ternary table needs).
    // RuntimeError when the device's P4Info lacks a name (not the switch CHIMA expects).
    ::p4::v1::TableEntry entry(const std::string& table, const std::vector<FieldMatch>& keys,
                               int32_t priority = 0) const;
    // Sets the entry's action and its params by name.
    void set_action(::p4::v1::TableEntry& entry, const std::string& action,
                    const std::vector<std::pair<std::string, uint64_t>>& params) const;
    uint32_t counter(const std::string& name) const;
    uint32_t table_id(const std::string& name) const;
    // A param of an action by name from an entry read back (0 when absent).
    uint64_t param(const ::p4::v1::TableEntry& entry, const std::string& action,
                   const std::string& param) const;

  private:
    const ::p4::config::v1::Table& table(const std::string& name) const;
    const ::p4::config::v1::Action& action(const std::string& name) const;
    [[noreturn]] void missing(const std::string& what) const;

    std::string where_;
    std::map<std::string, ::p4::config::v1::Table> tables_;
    std::map<std::string, ::p4::config::v1::Action> actions_;
    std::map<std::string, uint32_t> counters_;
};

}  // namespace chima::remote::detail
