// P4Runtime P4Info (p4.config.v1.P4Info) of CHIMA's v1model programs, in the protobuf JSON
// mapping (lowerCamelCase fields, enums by name, 64-bit integers as strings), with the names
// and ids p4c writes for the same program, so a client addressing entities by name or id
// sees the same switch on the eBPF agent and on bmv2 running p4c's output.
//
// Names are p4c's control-plane names: the path of control instances from the V1Switch
// block ("ChimaIngress", the control's type name, then instance names: "ChimaIngress.
// functions.fn_3") and the entity's own name; actions declared outside any control
// (NoAction) keep their bare name. Ids: the entity type's prefix (P4Ids) in the top byte,
// the low 24 bits of the Jenkins one-at-a-time hash of the name, collisions resolved by
// linear probing over the names sorted per type, after explicit @id ids are reserved.
// Aliases: the shortest dot-separated suffix unique among all names.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "chima/p4/ast.hpp"
#include "chima/p4/checker.hpp"

namespace chima::p4 {

// P4Runtime's id prefixes (p4info.proto, P4Ids.Prefix).
enum class P4IdPrefix : uint8_t {
    Action = 0x01,
    Table = 0x02,
    ValueSet = 0x03,
    ControllerHeader = 0x04,
    ActionProfile = 0x11,
    Counter = 0x12,
    DirectCounter = 0x13,
    Meter = 0x14,
    DirectMeter = 0x15,
    Register = 0x16,
    Digest = 0x17,
};

// The Jenkins one-at-a-time hash p4c applies to a control-plane name.
uint32_t p4runtime_name_hash(std::string_view name);

// Assigns ids to names the way p4c does. Reserve explicit (@id) ids first, then assign().
class P4IdAllocator {
  public:
    // An explicit id: the low 24 bits, or all 32 with the type's prefix. InputError for a
    // wrong prefix or an id already taken.
    void reserve(P4IdPrefix type, const std::string& name, uint32_t id);
    void add(P4IdPrefix type, const std::string& name);  // hashed id (duplicates ignored)
    // Ids for every added name: per type, names in byte order, hash & 0xffffff probed
    // upwards (wrapping within the 24 bits) past ids already taken.
    void assign();
    uint32_t id(P4IdPrefix type, const std::string& name) const;  // after assign()

  private:
    std::map<std::pair<P4IdPrefix, std::string>, std::optional<uint32_t>> ids_;
    std::map<uint32_t, bool> taken_;
};

// Shortest unique dot-separated suffix of `name` among `all` (p4c's alias).
std::string p4runtime_alias(const std::string& name, const std::vector<std::string>& all);

// The P4Runtime entities of a program before ids are assigned; references by name.
struct P4rtMatchField {
    std::string name;  // the key expression as written ("hdr.ipv4.dst_addr")
    int bitwidth = 0;
    std::string match_type;  // EXACT, LPM, TERNARY, RANGE, OPTIONAL
};
struct P4rtParam {
    std::string name;
    int bitwidth = 0;
};
struct P4rtAction {
    std::string name;
    std::optional<uint32_t> id;  // @id
    std::vector<std::string> annotations;
    std::vector<P4rtParam> params;
};
struct P4rtTable {
    std::string name;
    std::optional<uint32_t> id;  // @id
    std::vector<P4rtMatchField> match_fields;
    std::vector<std::string> actions;        // in the order of the actions property
    std::vector<std::string> action_scopes;  // per action: "", DEFAULT_ONLY, TABLE_ONLY
    std::string const_default_action;        // "" unless the default action is const
    bool is_const_table = false;             // const entries
    int64_t size = 1024;
};
struct P4rtCounter {
    std::string name;
    std::string unit;  // PACKETS, BYTES, BOTH
    int64_t size = 0;
    std::optional<uint32_t> id;  // @id
};
struct P4rtRegister {
    std::string name;
    int bitwidth = 0;
    int32_t size = 0;
    std::optional<uint32_t> id;  // @id
};
struct P4rtEntities {
    std::vector<P4rtTable> tables;
    std::vector<P4rtAction> actions;
    std::vector<P4rtCounter> counters;
    std::vector<P4rtRegister> registers;

    // Adds everything of `other` not already present by name.
    void merge(const P4rtEntities& other);
};

// Where the merged program instantiates a switch's functions: the control-plane path of
// the instance in slot `slot` ("ChimaIngress.functions.fn_<slot>").
inline constexpr const char* kFunctionsPath = "ChimaIngress.functions";
std::string function_instance_path(uint32_t slot);

// The entities of a checked whole v1model program (the template, or a switch's merged
// program): every control instantiated from its V1Switch package instance.
P4rtEntities p4rt_entities_of_program(const Program& program);

// One checked function as it appears at `slot` of the merged program.
P4rtEntities p4rt_entities_of_function(const CheckedFunction& fn, uint32_t slot);

// The entities read back from a P4Info JSON written by p4runtime_info (ids dropped), so a
// device config's template and function P4Infos can be put together without the front end.
P4rtEntities p4rt_entities_from_json(const nlohmann::json& p4info);

// The P4Info (protobuf JSON mapping): ids and aliases computed over `entities` as a whole.
nlohmann::json p4runtime_info(const P4rtEntities& entities);

// Convenience: the P4Info of a whole program / of one function at a slot.
nlohmann::json p4runtime_info(const Program& program);
nlohmann::json p4runtime_info(const CheckedFunction& fn, uint32_t slot);

}  // namespace chima::p4
