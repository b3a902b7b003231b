// Write of a TableEntry: validate completely, then touch the maps, then the shadow.
#include "chima/error.hpp"
#include "operations.hpp"
#include "table_entry.hpp"

namespace chima::p4rt::detail {

namespace {

using grpc::StatusCode;
using ::p4::v1::Update;

[[noreturn]] void invalid(const TableInfo& t, const std::string& what) {
    fail(StatusCode::INVALID_ARGUMENT, "table '" + t.name + "': " + what);
}

// The kernel refused a map write that validation allowed.
template <typename F>
void guarded(const TableInfo& t, F&& f) {
    try {
        f();
    } catch (const P4rtError&) {
        throw;
    } catch (const std::exception& e) {
        fail(StatusCode::INTERNAL, "table '" + t.name + "': " + e.what());
    }
}

Update make_update(Update::Type type, const ::p4::v1::TableEntry& entry) {
    Update u;
    u.set_type(type);
    *u.mutable_entity()->mutable_table_entry() = entry;
    return u;
}

std::vector<Update> write_default(const Bound& b, const TableInfo& t, Update::Type type,
                                  const ::p4::v1::TableEntry& te) {
    // "Default Entry": no match, priority 0; no INSERT or DELETE (INVALID_ARGUMENT).
    if (te.match_size() != 0 || te.priority() != 0)
        invalid(t, "the default entry has no match and priority 0");
    if (type != Update::MODIFY)
        invalid(t, "the default entry can only be modified");
    // "Default Entry": a const default action is PERMISSION_DENIED.
    if (t.const_default_action_id != 0)
        fail(StatusCode::PERMISSION_DENIED, "table '" + t.name + "': the default action is const");
    if (te.has_action()) {
        EntryValue v;
        parse_action(b.index, t, te, v, true);
        // The eBPF programs compile the default action in: only restating it is realisable.
        if (v.action_id != t.default_action_id || v.params != t.default_params)
            fail(StatusCode::UNIMPLEMENTED,
                 "table '" + t.name + "': the eBPF switch cannot change a default action");
    }
    ::p4::v1::TableEntry reset;
    reset.set_table_id(t.id);
    reset.set_is_default_action(true);
    return {make_update(Update::MODIFY, reset)};
}

}  // namespace

StoredEntry stored_entry(const Index& ix, const TableInfo& t, const EntryValue& v, bool is_const) {
    StoredEntry s;
    s.value = v;
    s.entry = canonical_entry(ix, t, v);
    s.is_const = is_const;
    s.plane_key = t.backend->plane_key(t, v);
    return s;
}

std::vector<Update> write_table_entry(Bound& b, Update::Type type, const ::p4::v1::TableEntry& te) {
    auto it = b.index.tables.find(te.table_id());
    if (it == b.index.tables.end())
        fail(StatusCode::INVALID_ARGUMENT,
             "no table with id " + std::to_string(te.table_id()) + " in the P4Info");
    const TableInfo& t = it->second;
    TableState& st = b.state[t.id];
    if (type != Update::INSERT && type != Update::MODIFY && type != Update::DELETE)
        invalid(t, "update type unspecified");
    // "TableEntry": is_const must be false in every write.
    if (te.const_())
        invalid(t, "a write cannot set is_const");
    // "Idle-timeout": not supported by the table.
    if (te.idle_timeout_ns() != 0 || te.has_time_since_last_hit())
        invalid(t, "idle timeouts are not supported by this table");
    // "Direct Resources": the table has none.
    if (te.has_meter_config() || te.has_counter_data() || te.has_meter_counter_data())
        invalid(t, "the table has no direct counter or meter");
    if (te.is_default_action())
        return write_default(b, t, type, te);
    // "TableEntry": a keyless table takes no match entries.
    if (t.fields.empty())
        invalid(t, "a table without key takes no entries");
    // "Constant Tables": every write but direct resources is PERMISSION_DENIED.
    if (t.is_const)
        fail(StatusCode::PERMISSION_DENIED, "table '" + t.name + "' is const");

    EntryValue v = parse_match(t, te);
    std::string key = entry_key(v);
    auto existing = st.entries.find(key);

    if (type == Update::INSERT) {
        if (!te.has_action())
            invalid(t, "an INSERT needs an action");
        parse_action(b.index, t, te, v, false);
        // "Write RPC": INSERT of an existing entry is ALREADY_EXISTS.
        if (existing != st.entries.end())
            fail(StatusCode::ALREADY_EXISTS, "table '" + t.name + "': the entry exists");
        t.backend->check(t, v);
        // "TableEntry": RESOURCE_EXHAUSTED when the table is full.
        if (static_cast<int64_t>(st.entries.size()) >= t.size)
            fail(StatusCode::RESOURCE_EXHAUSTED,
                 "table '" + t.name + "' is full (" + std::to_string(t.size) + " entries)");
        StoredEntry s = stored_entry(b.index, t, v, false);
        if (st.by_plane.count(s.plane_key))
            fail(StatusCode::UNIMPLEMENTED,
                 "table '" + t.name +
                     "': the eBPF switch holds one entry per match; an entry "
                     "with this match and another priority exists");
        bool room = true;
        guarded(t, [&] { room = t.backend->has_room(t, v); });
        if (!room)
            fail(StatusCode::RESOURCE_EXHAUSTED,
                 "table '" + t.name + "' has no room for another mask");
        copy_cookies(te, s.entry);
        guarded(t, [&] { t.backend->put(t, v); });
        ::p4::v1::TableEntry undo = s.entry;
        undo.clear_action();
        st.by_plane[s.plane_key] = key;
        st.entries.emplace(key, std::move(s));
        return {make_update(Update::DELETE, undo)};
    }

    // "Write RPC": MODIFY or DELETE of a missing entry is NOT_FOUND.
    if (existing == st.entries.end())
        fail(StatusCode::NOT_FOUND, "table '" + t.name + "': no such entry");
    if (existing->second.is_const)
        fail(StatusCode::PERMISSION_DENIED, "table '" + t.name + "': the entry is const");
    StoredEntry& old = existing->second;

    if (type == Update::MODIFY) {
        // "Action Specification": a MODIFY without action changes nothing.
        if (!te.has_action())
            return {};
        parse_action(b.index, t, te, v, false);
        t.backend->check(t, v);
        StoredEntry s = stored_entry(b.index, t, v, false);
        copy_cookies(te, s.entry);
        guarded(t, [&] { t.backend->put(t, v); });
        Update undo = make_update(Update::MODIFY, old.entry);
        old = std::move(s);
        return {undo};
    }

    // DELETE: "only the key fields are considered".
    guarded(t, [&] { t.backend->erase(t, old.value); });
    Update undo = make_update(Update::INSERT, old.entry);
    st.by_plane.erase(old.plane_key);
    st.entries.erase(existing);
    return {undo};
}

}  // namespace chima::p4rt::detail
