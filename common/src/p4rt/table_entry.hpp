// A TableEntry of a request checked against its table (sections "TableEntry", "Match
// Format", "Action Specification", "Bytestrings") and its canonical form for reads.
#pragma once

#include <string>

#include "model.hpp"

namespace chima::p4rt::detail {

// The match and priority of `entry`: every rule of "Match Format" and the priority rule of
// "TableEntry". P4rtError with the specification's code otherwise.
EntryValue parse_match(const TableInfo& table, const ::p4::v1::TableEntry& entry);

// The action of `entry` into `value` (action id and parameters), checked against the table.
void parse_action(const Index& index, const TableInfo& table, const ::p4::v1::TableEntry& entry,
                  EntryValue& value, bool as_default);

// What a read returns for a stored entry: match in canonical form, the action, priority.
::p4::v1::TableEntry canonical_entry(const Index& index, const TableInfo& table,
                                     const EntryValue& value);

// The opaque cookies a read returns as written: metadata and the deprecated
// controller_metadata (deprecated in the proto, still part of read-write symmetry).
void copy_cookies(const ::p4::v1::TableEntry& from, ::p4::v1::TableEntry& to);
uint64_t controller_metadata_of(const ::p4::v1::TableEntry& entry);

// The identity of an entry in its table: its match and priority.
std::string entry_key(const EntryValue& value);
// Its match alone.
std::string match_key(const EntryValue& value);

}  // namespace chima::p4rt::detail
