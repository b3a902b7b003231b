// Read of TableEntry with the filters of "Wildcard Reads" (section "TableEntry").
#include "chima/p4rt/bytestring.hpp"
#include "operations.hpp"
#include "table_entry.hpp"

namespace chima::p4rt::detail {

namespace {

void emit_entry(const StoredEntry& s, const Emit& emit) {
    ::p4::v1::Entity e;
    *e.mutable_table_entry() = s.entry;
    e.mutable_table_entry()->set_is_const(s.is_const);
    emit(std::move(e));
}

void emit_default(const Index& ix, const TableInfo& t, const Emit& emit) {
    EntryValue v;
    v.fields.resize(t.fields.size());
    v.action_id = t.default_action_id;
    v.params = t.default_params;
    ::p4::v1::Entity e;
    auto* te = e.mutable_table_entry();
    if (t.default_action_id != 0 && ix.actions.count(t.default_action_id)) {
        *te = canonical_entry(ix, t, v);
        te->clear_match();
    } else {
        te->set_table_id(t.id);
    }
    te->set_priority(0);
    te->set_is_default_action(true);
    te->set_is_const(t.const_default_action_id != 0);
    emit(std::move(e));
}

}  // namespace

void read_table_entries(const Bound& b, const ::p4::v1::TableEntry& req, const Emit& emit) {
    // "Wildcard Reads": table_id 0 selects every table, const ones included.
    if (req.table_id() == 0) {
        for (const auto& [id, state] : b.state)
            for (const auto& [key, s] : state.entries)
                emit_entry(s, emit);
        return;
    }
    auto it = b.index.tables.find(req.table_id());
    if (it == b.index.tables.end())
        fail(grpc::StatusCode::INVALID_ARGUMENT,
             "no table with id " + std::to_string(req.table_id()) + " in the P4Info");
    const TableInfo& t = it->second;
    if (req.is_default_action()) {
        emit_default(b.index, t, emit);
        return;
    }
    std::string match;
    if (req.match_size() != 0) {
        // A match filter must be a valid match key; priority 0 stays a wildcard.
        ::p4::v1::TableEntry probe = req;
        if (t.needs_priority && probe.priority() == 0)
            probe.set_priority(1);
        if (!t.needs_priority)
            probe.set_priority(0);
        match = match_key(parse_match(t, probe));
    }
    auto state = b.state.find(t.id);
    if (state == b.state.end())
        return;
    for (const auto& [key, s] : state->second.entries) {
        if (!match.empty() && match_key(s.value) != match)
            continue;
        if (req.has_action() && req.action().has_action() &&
            req.action().action().action_id() != s.value.action_id)
            continue;
        if (req.priority() != 0 && req.priority() != s.value.priority)
            continue;
        if (controller_metadata_of(req) != 0 &&
            controller_metadata_of(req) != controller_metadata_of(s.entry))
            continue;
        if (!req.metadata().empty() && req.metadata() != s.entry.metadata())
            continue;
        emit_entry(s, emit);
    }
}

}  // namespace chima::p4rt::detail
