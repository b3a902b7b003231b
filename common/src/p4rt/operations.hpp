// The operations of Entities on a bound index (private to the p4rt area).
#pragma once

#include <functional>
#include <vector>

#include "model.hpp"

namespace chima::p4rt::detail {

using Emit = std::function<void(::p4::v1::Entity&&)>;

std::vector<::p4::v1::Update> write_table_entry(Bound& b, ::p4::v1::Update::Type type,
                                                const ::p4::v1::TableEntry& entry);
void read_table_entries(const Bound& b, const ::p4::v1::TableEntry& request, const Emit& emit);

std::vector<::p4::v1::Update> write_counter(Bound& b, ::p4::v1::Update::Type type,
                                            const ::p4::v1::CounterEntry& entry);
void read_counters(const Bound& b, const ::p4::v1::CounterEntry& request, const Emit& emit);

std::vector<::p4::v1::Update> write_register(Bound& b, ::p4::v1::Update::Type type,
                                             const ::p4::v1::RegisterEntry& entry);
void read_registers(const Bound& b, const ::p4::v1::RegisterEntry& request, const Emit& emit);

// A stored entry rebuilt from its canonical form (restore, initial entries).
StoredEntry stored_entry(const Index& ix, const TableInfo& t, const EntryValue& v, bool is_const);

}  // namespace chima::p4rt::detail
