#include "table_entry.hpp"

#include <set>

#include "chima/p4rt/bytestring.hpp"

namespace chima::p4rt::detail {

namespace {

using grpc::StatusCode;

[[noreturn]] void invalid(const TableInfo& t, const std::string& what) {
    fail(StatusCode::INVALID_ARGUMENT, "table '" + t.name + "': " + what);
}

std::string field_what(const TableInfo& t, const FieldInfo& f) {
    return "table '" + t.name + "' field '" + f.name + "'";
}

}  // namespace

EntryValue parse_match(const TableInfo& t, const ::p4::v1::TableEntry& entry) {
    EntryValue v;
    v.fields.resize(t.fields.size());
    std::set<uint32_t> seen;
    for (const auto& m : entry.match()) {
        // "Match Format": field_id must be a valid id for the table (INVALID_ARGUMENT).
        size_t i = 0;
        while (i < t.fields.size() && t.fields[i].id != m.field_id())
            ++i;
        if (i == t.fields.size())
            invalid(t, "no match field with id " + std::to_string(m.field_id()));
        if (!seen.insert(m.field_id()).second)
            invalid(t, "match field " + std::to_string(m.field_id()) + " given twice");
        const FieldInfo& f = t.fields[i];
        FieldValue& fv = v.fields[i];
        std::string what = field_what(t, f);
        fv.present = true;
        switch (f.kind) {
            case MatchKind::Exact:
                if (!m.has_exact())
                    invalid(t, "field '" + f.name + "' is an exact match");
                fv.value = parse_bitstring(m.exact().value(), f.width, what);
                break;
            case MatchKind::Lpm: {
                if (!m.has_lpm())
                    invalid(t, "field '" + f.name + "' is an lpm match");
                fv.value = parse_bitstring(m.lpm().value(), f.width, what);
                int plen = m.lpm().prefix_len();
                // "Match Format", LPM: a don't care (prefix 0) must be omitted; a prefix
                // cannot be longer than the field; bits past the prefix must be 0.
                if (plen <= 0)
                    invalid(t, "field '" + f.name + "': prefix length " + std::to_string(plen) +
                                   " (omit the field for don't care)");
                if (plen > f.width)
                    invalid(t, "field '" + f.name + "': prefix length " + std::to_string(plen) +
                                   " longer than bit<" + std::to_string(f.width) + ">");
                uint64_t host_bits = width_mask(f.width - plen);
                if (fv.value & host_bits)
                    invalid(t, "field '" + f.name + "': bits set past the /" +
                                   std::to_string(plen) + " prefix");
                fv.prefix_len = plen;
                break;
            }
            case MatchKind::Ternary: {
                if (!m.has_ternary())
                    invalid(t, "field '" + f.name + "' is a ternary match");
                fv.value = parse_bitstring(m.ternary().value(), f.width, what);
                fv.mask = parse_bitstring(m.ternary().mask(), f.width, what + " mask");
                // "Match Format", TERNARY: a zero mask must be omitted; masked-out bits of
                // the value must be 0.
                if (fv.mask == 0)
                    invalid(t, "field '" + f.name + "': mask 0 (omit the field for don't care)");
                if ((fv.value & fv.mask) != fv.value)
                    invalid(t, "field '" + f.name + "': value has bits outside the mask");
                break;
            }
            case MatchKind::Range:
            case MatchKind::Optional:
                fail(StatusCode::UNIMPLEMENTED,
                     "table '" + t.name + "': range and optional matches are not realised");
        }
    }
    // "Match Format": exact fields can never be omitted.
    for (size_t i = 0; i < t.fields.size(); ++i) {
        if (t.fields[i].kind == MatchKind::Exact && !v.fields[i].present)
            invalid(t, "exact match field '" + t.fields[i].name + "' missing");
    }
    // "TableEntry": priority non-zero iff a field is ternary, range or optional.
    v.priority = entry.priority();
    if (t.needs_priority && v.priority <= 0)
        invalid(t, "entries of a ternary table need a priority above 0");
    if (!t.needs_priority && v.priority != 0)
        invalid(t, "priority " + std::to_string(v.priority) +
                       " on a table without ternary "
                       "fields (must be 0)");
    return v;
}

void parse_action(const Index& ix, const TableInfo& t, const ::p4::v1::TableEntry& entry,
                  EntryValue& v, bool as_default) {
    const ::p4::v1::TableAction& ta = entry.action();
    // "Action Specification": a oneof other than the table's kind is INVALID_ARGUMENT.
    if (ta.type_case() != ::p4::v1::TableAction::kAction)
        invalid(t, "a direct table takes an action (no action profile member, group or set)");
    const ::p4::v1::Action& a = ta.action();
    auto ref = t.actions.find(a.action_id());
    // "Action Specification": action_id must be one of the table's (INVALID_ARGUMENT).
    if (ref == t.actions.end())
        invalid(t, "action id " + std::to_string(a.action_id()) + " is not an action of it");
    // ... and a scope it may not be used in is PERMISSION_DENIED.
    using Scope = ::p4::config::v1::ActionRef;
    if ((as_default && ref->second == Scope::TABLE_ONLY) ||
        (!as_default && ref->second == Scope::DEFAULT_ONLY))
        fail(StatusCode::PERMISSION_DENIED, "table '" + t.name + "': action '" +
                                                t.action_names.at(a.action_id()) + "' is " +
                                                (as_default ? "table-only" : "default-only"));
    const ActionInfo& info = ix.actions.at(a.action_id());
    v.action_id = info.id;
    v.params.assign(info.params.size(), 0);
    std::vector<bool> given(info.params.size(), false);
    for (const auto& p : a.params()) {
        size_t i = 0;
        while (i < info.params.size() && info.params[i].id != p.param_id())
            ++i;
        // "Action Specification": unknown, missing or repeated parameters are INVALID_ARGUMENT.
        if (i == info.params.size())
            invalid(t, "action '" + info.name + "' has no parameter id " +
                           std::to_string(p.param_id()));
        if (given[i])
            invalid(t, "action '" + info.name + "' parameter '" + info.params[i].name +
                           "' given twice");
        given[i] = true;
        v.params[i] =
            parse_bitstring(p.value(), info.params[i].width,
                            "action '" + info.name + "' parameter '" + info.params[i].name + "'");
    }
    for (size_t i = 0; i < given.size(); ++i) {
        if (!given[i])
            invalid(t,
                    "action '" + info.name + "' parameter '" + info.params[i].name + "' missing");
    }
}

::p4::v1::TableEntry canonical_entry(const Index& ix, const TableInfo& t, const EntryValue& v) {
    ::p4::v1::TableEntry e;
    e.set_table_id(t.id);
    for (size_t i = 0; i < t.fields.size(); ++i) {
        const FieldValue& f = v.fields[i];
        if (!f.present)
            continue;  // "Match Format": don't care is the omitted field
        auto* m = e.add_match();
        m->set_field_id(t.fields[i].id);
        switch (t.fields[i].kind) {
            case MatchKind::Exact:
                m->mutable_exact()->set_value(canonical_bitstring(f.value));
                break;
            case MatchKind::Lpm:
                m->mutable_lpm()->set_value(canonical_bitstring(f.value));
                m->mutable_lpm()->set_prefix_len(f.prefix_len);
                break;
            case MatchKind::Ternary:
                m->mutable_ternary()->set_value(canonical_bitstring(f.value));
                m->mutable_ternary()->set_mask(canonical_bitstring(f.mask));
                break;
            default:
                break;
        }
    }
    e.set_priority(v.priority);
    auto* a = e.mutable_action()->mutable_action();
    a->set_action_id(v.action_id);
    const ActionInfo& info = ix.actions.at(v.action_id);
    for (size_t i = 0; i < info.params.size() && i < v.params.size(); ++i) {
        auto* p = a->add_params();
        p->set_param_id(info.params[i].id);
        p->set_value(canonical_bitstring(v.params[i]));
    }
    return e;
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
void copy_cookies(const ::p4::v1::TableEntry& from, ::p4::v1::TableEntry& to) {
    to.set_controller_metadata(from.controller_metadata());
    to.set_metadata(from.metadata());
}

uint64_t controller_metadata_of(const ::p4::v1::TableEntry& entry) {
    return entry.controller_metadata();
}
#pragma GCC diagnostic pop

std::string match_key(const EntryValue& v) {
    std::string k;
    for (const auto& f : v.fields) {
        if (!f.present) {
            k += "*;";
            continue;
        }
        k += std::to_string(f.value) + "/" + std::to_string(f.mask) + "/" +
             std::to_string(f.prefix_len) + ";";
    }
    return k;
}

std::string entry_key(const EntryValue& v) {
    return match_key(v) + "p" + std::to_string(v.priority);
}

}  // namespace chima::p4rt::detail
