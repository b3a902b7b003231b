// The P4Info as the entities code uses it (private to the p4rt area): each table, counter
// and register with its shape and the backend that reaches its maps.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "chima/p4rt/entities.hpp"

namespace chima::p4rt::detail {

enum class MatchKind { Exact, Lpm, Ternary, Range, Optional };

struct FieldInfo {
    uint32_t id = 0;
    std::string name;
    int width = 0;
    MatchKind kind = MatchKind::Exact;
};

struct ParamInfo {
    uint32_t id = 0;
    std::string name;
    int width = 0;
};

struct ActionInfo {
    uint32_t id = 0;
    std::string name;
    std::vector<ParamInfo> params;
};

// One match field's value in an entry; absent = "don't care".
struct FieldValue {
    bool present = false;
    uint64_t value = 0;
    uint64_t mask = 0;   // ternary
    int prefix_len = 0;  // lpm
};

// A validated entry: one FieldValue per P4Info match field (in P4Info order), the action
// and its parameters in P4Info order.
struct EntryValue {
    std::vector<FieldValue> fields;
    int32_t priority = 0;
    uint32_t action_id = 0;
    std::vector<uint64_t> params;
};

struct TableInfo;

// Reaches the maps of one table. put/erase throw RuntimeError when the kernel refuses.
class TableBackend {
  public:
    virtual ~TableBackend() = default;
    // Throws P4rtError when this switch cannot hold `entry` (beyond what the P4Info says).
    virtual void check(const TableInfo& table, const EntryValue& entry) const = 0;
    // Entries with equal keys share one place in the map and cannot coexist.
    virtual std::string plane_key(const TableInfo& table, const EntryValue& entry) const;
    // Whether another entry fits (besides the P4Info size, e.g. ternary mask slots).
    virtual bool has_room(const TableInfo& table, const EntryValue& entry) const;
    virtual void put(const TableInfo& table, const EntryValue& entry) = 0;  // insert/replace
    virtual void erase(const TableInfo& table, const EntryValue& entry) = 0;
    // Entries the target holds at most.
    virtual int64_t capacity() const = 0;
};

struct TableInfo {
    uint32_t id = 0;
    std::string name;
    std::vector<FieldInfo> fields;
    std::map<uint32_t, ::p4::config::v1::ActionRef::Scope> actions;  // allowed action ids
    std::map<uint32_t, std::string> action_names;                    // their fully qualified names
    bool needs_priority = false;  // a ternary, range or optional field
    bool is_const = false;
    uint32_t const_default_action_id = 0;
    int64_t size = 0;  // entries the client may insert (P4Info size, within capacity)
    // The default entry as the program defines it (a MODIFY may only restate it: the
    // eBPF programs compile their defaults in).
    uint32_t default_action_id = 0;
    std::vector<uint64_t> default_params;
    std::vector<EntryValue> initial_entries;  // const entries the loader wrote
    std::vector<EntryValue> config_entries;   // the device config's entries (not const)
    std::string shape;                        // what must stay equal to keep entries
    std::shared_ptr<TableBackend> backend;
};

class CellBackend {
  public:
    virtual ~CellBackend() = default;
    virtual int64_t size() const = 0;
};

class CounterBackend : public CellBackend {
  public:
    virtual ::p4::v1::CounterData get(int64_t index) const = 0;
    virtual void set(int64_t index, const ::p4::v1::CounterData& data) = 0;
    // The cells written since the backend was made (a shadow's; a switch's map: none).
    virtual std::vector<int64_t> written() const { return {}; }
};

class RegisterBackend : public CellBackend {
  public:
    virtual uint64_t get(int64_t index) const = 0;
    virtual void set(int64_t index, uint64_t value) = 0;
    virtual std::vector<int64_t> written() const { return {}; }
};

struct CounterInfo {
    uint32_t id = 0;
    std::string name;
    int64_t size = 0;
    std::shared_ptr<CounterBackend> backend;
};

struct RegisterInfo {
    uint32_t id = 0;
    std::string name;
    int64_t size = 0;
    int width = 0;
    std::shared_ptr<RegisterBackend> backend;
};

// One written entry as the control plane sees it.
struct StoredEntry {
    EntryValue value;
    ::p4::v1::TableEntry entry;  // canonical: what a read returns
    bool is_const = false;
    std::string plane_key;
};

struct TableState {
    std::map<std::string, StoredEntry> entries;   // by entry key (match + priority)
    std::map<std::string, std::string> by_plane;  // plane key -> entry key
};

// The P4Info indexed: what bind() builds and write/read use.
struct Index {
    std::map<uint32_t, TableInfo> tables;
    std::map<uint32_t, ActionInfo> actions;
    std::map<uint32_t, CounterInfo> counters;
    std::map<uint32_t, RegisterInfo> registers;
    std::map<uint32_t, uint32_t> table_slot;  // function tables: their slot
};

struct Bound {
    ::p4::config::v1::P4Info info;
    std::map<uint32_t, SlotFunction> slots;
    Index index;
    std::map<uint32_t, TableState> state;  // by table id
};

// Builds the index of `info` over `pipeline` and the slots' functions; throws
// P4rtError(INVALID_ARGUMENT) naming what does not map. Without a pipeline every backend is
// a shadow (shadow_backends.cpp), except the function tables of a slot in `slot_dirs`,
// which reach the maps pinned there (a function being loaded, before its slot serves).
Index index_p4info(bpf::SwitchPipeline* pipeline, const ::p4::config::v1::P4Info& info,
                   const std::map<uint32_t, SlotFunction>& slots,
                   const std::map<uint32_t, std::filesystem::path>& slot_dirs = {});

// Shadow backends: what a config with no switch behind it yet holds, in memory. A table
// keeps `real`'s checks and plane keys, and counts the distinct masks `mask_of` gives
// (empty: the table has no mask slots) against `max_masks`.
using MaskOf = std::function<std::string(const TableInfo&, const EntryValue&)>;
std::shared_ptr<TableBackend> shadow_table(std::shared_ptr<TableBackend> real, MaskOf mask_of = {},
                                           int64_t max_masks = 0);
std::shared_ptr<CounterBackend> shadow_counter(int64_t size);
std::shared_ptr<RegisterBackend> shadow_register(int64_t size);

[[noreturn]] void fail(grpc::StatusCode code, const std::string& message);

}  // namespace chima::p4rt::detail
