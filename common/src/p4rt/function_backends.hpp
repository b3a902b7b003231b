// A function's tables, counters and registers over the maps its slot pinned, described by
// the function's chima-p4info-1 document.
#pragma once

#include <memory>

#include <nlohmann/json.hpp>

#include "chima/bpf/table_entries.hpp"
#include "model.hpp"

namespace chima::p4rt::detail {

// `table` is the chima-p4info table; `key_order[i]` the chima key (p4_index) of P4Info match
// field i; `actions` maps P4Info action ids to chima action names.
std::shared_ptr<TableBackend> function_table_backend(std::shared_ptr<bpf::SlotMaps> maps,
                                                     const nlohmann::json& p4info,
                                                     const nlohmann::json& table,
                                                     std::map<uint32_t, std::string> actions);
// The table in memory (a config not committed yet), refusing what the maps would refuse.
std::shared_ptr<TableBackend> function_table_shadow(const nlohmann::json& p4info,
                                                    const nlohmann::json& table,
                                                    std::map<uint32_t, std::string> actions);
std::shared_ptr<CounterBackend> function_counter_backend(std::shared_ptr<bpf::SlotMaps> maps,
                                                         const nlohmann::json& counter);
std::shared_ptr<RegisterBackend> function_register_backend(std::shared_ptr<bpf::SlotMaps> maps,
                                                           const nlohmann::json& reg);

// The chima-p4info entry of a P4Info entry: keys in the table's P4 order.
p4::EntrySpec entry_spec(const nlohmann::json& table,
                         const std::map<uint32_t, std::string>& actions, const TableInfo& info,
                         const EntryValue& e);

}  // namespace chima::p4rt::detail
