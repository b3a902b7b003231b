// bind()'s first half: every P4Info entity mapped onto the template's maps (by the names in
// template_bindings.cpp) or onto a slot function's maps (its chima-p4info-1 document), with
// the shapes compared. Anything else: INVALID_ARGUMENT naming it, as SetForwardingPipelineConfig
// answers a config the target cannot realise (section "SetForwardingPipelineConfig RPC").
#include <algorithm>
#include <charconv>
#include <filesystem>
#include <optional>
#include <set>

#include "bytestring.hpp"
#include "chima/bpf/switch_pipeline.hpp"
#include "function_backends.hpp"
#include "model.hpp"
#include "template_bindings.hpp"

namespace chima::p4rt::detail {

namespace {

using grpc::StatusCode;
using nlohmann::json;
namespace cfg = ::p4::config::v1;

constexpr std::string_view kFunctionPrefix = "ChimaIngress.functions.fn_";

[[noreturn]] void refuse(const std::string& message) {
    fail(StatusCode::INVALID_ARGUMENT, "P4Info: " + message);
}

const char* kind_name(MatchKind k) {
    switch (k) {
        case MatchKind::Exact:
            return "exact";
        case MatchKind::Lpm:
            return "lpm";
        case MatchKind::Ternary:
            return "ternary";
        case MatchKind::Range:
            return "range";
        case MatchKind::Optional:
            return "optional";
    }
    return "?";
}

MatchKind match_kind(const cfg::MatchField& f, const std::string& table) {
    if (f.match_case() == cfg::MatchField::kMatchType) {
        switch (f.match_type()) {
            case cfg::MatchField::EXACT:
                return MatchKind::Exact;
            case cfg::MatchField::LPM:
                return MatchKind::Lpm;
            case cfg::MatchField::TERNARY:
                return MatchKind::Ternary;
            case cfg::MatchField::RANGE:
                return MatchKind::Range;
            case cfg::MatchField::OPTIONAL:
                return MatchKind::Optional;
            default:
                break;
        }
    }
    refuse("table '" + table + "' field '" + f.name() + "': match kind the eBPF switch has not");
}

// A function entity's name: its slot and local name, or nullopt.
std::optional<std::pair<uint32_t, std::string>> function_name(const std::string& name) {
    if (name.rfind(kFunctionPrefix, 0) != 0)
        return std::nullopt;
    std::string_view rest = std::string_view(name).substr(kFunctionPrefix.size());
    uint32_t slot = 0;
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), slot);
    if (ec != std::errc() || end == rest.data() || end == rest.data() + rest.size() || *end != '.')
        return std::nullopt;
    return std::pair{slot, std::string(end + 1, rest.data() + rest.size())};
}

// The list `key` of a chima-p4info document, or an empty one (a reference that outlives the
// call, unlike json::value's copy).
const json& list_of(const json& p4info, const char* key) {
    static const json empty = json::array();
    return p4info.contains(key) ? p4info.at(key) : empty;
}

const json* find_named(const json& list, const std::string& name) {
    for (const auto& x : list)
        if (x.at("name") == name)
            return &x;
    return nullptr;
}

std::string local_action_name(const std::string& name, uint32_t slot) {
    if (name == "NoAction")
        return name;
    auto fn = function_name(name);
    if (!fn || fn->first != slot)
        return {};
    return fn->second;
}

void check_params(const ActionInfo& a, const std::vector<std::pair<std::string, int>>& expected,
                  const std::string& where) {
    if (a.params.size() != expected.size())
        refuse(where + ": action '" + a.name + "' has " + std::to_string(a.params.size()) +
               " parameters, the switch's has " + std::to_string(expected.size()));
    for (size_t i = 0; i < expected.size(); ++i) {
        if (a.params[i].name != expected[i].first || a.params[i].width != expected[i].second)
            refuse(where + ": action '" + a.name + "' parameter " + std::to_string(i + 1) +
                   " is '" + a.params[i].name + "' bit<" + std::to_string(a.params[i].width) +
                   ">, the switch's is '" + expected[i].first + "' bit<" +
                   std::to_string(expected[i].second) + ">");
    }
}

void check_fields(const TableInfo& t, const std::vector<ExpectedField>& expected) {
    if (t.fields.size() != expected.size())
        refuse("table '" + t.name + "' has " + std::to_string(t.fields.size()) +
               " match fields, the switch's has " + std::to_string(expected.size()));
    for (size_t i = 0; i < expected.size(); ++i) {
        const FieldInfo& f = t.fields[i];
        const ExpectedField& e = expected[i];
        if (f.name != e.name || f.width != e.width || f.kind != e.kind)
            refuse("table '" + t.name + "' match field " + std::to_string(f.id) + " is '" + f.name +
                   "' bit<" + std::to_string(f.width) + "> " + kind_name(f.kind) +
                   ", the switch's is '" + e.name + "' bit<" + std::to_string(e.width) + "> " +
                   kind_name(e.kind));
    }
}

uint32_t action_id_by_name(const Index& ix, const TableInfo& t, const std::string& name) {
    for (const auto& [id, scope] : t.actions)
        if (ix.actions.at(id).name == name)
            return id;
    refuse("table '" + t.name + "' lacks its default action '" + name + "'");
}

void bind_template_table(Index& ix, TableInfo& t, const TemplateTable& b, bpf::SwitchPipeline* sw) {
    check_fields(t, b.fields);
    for (const auto& [id, scope] : t.actions) {
        const ActionInfo& a = ix.actions.at(id);
        auto it = std::find_if(b.actions.begin(), b.actions.end(),
                               [&](const ExpectedAction& e) { return e.name == a.name; });
        if (it == b.actions.end())
            refuse("table '" + t.name + "': action '" + a.name + "' is not one the switch has");
        check_params(a, it->params, "table '" + t.name + "'");
    }
    t.default_action_id = action_id_by_name(ix, t, b.default_action);
    t.backend = sw ? b.make(sw) : shadow_table(b.make(nullptr));
}

void bind_function_table(Index& ix, TableInfo& t, uint32_t slot, const std::string& local,
                         const SlotFunction& fn, const std::shared_ptr<bpf::SlotMaps>& maps,
                         bool shadow) {
    const json& p4info = fn.p4info;
    const json* table = find_named(p4info.at("tables"), local);
    if (!table)
        refuse("table '" + t.name + "': function '" + fn.name + "' in slot " +
               std::to_string(slot) + " has no table '" + local + "'");
    const json& keys = table->at("keys");
    if (keys.size() != t.fields.size())
        refuse("table '" + t.name + "' has " + std::to_string(t.fields.size()) +
               " match fields, function '" + fn.name + "' has " + std::to_string(keys.size()));
    for (size_t i = 0; i < t.fields.size(); ++i) {
        const json* key = nullptr;
        for (const auto& k : keys)
            if (k.value("p4_index", -1) == static_cast<int>(i))
                key = &k;
        const FieldInfo& f = t.fields[i];
        if (!key || key->at("name") != f.name || key->at("width") != f.width ||
            key->at("match") != kind_name(f.kind))
            refuse("table '" + t.name + "' match field " + std::to_string(f.id) + " '" + f.name +
                   "' bit<" + std::to_string(f.width) + "> " + kind_name(f.kind) +
                   " disagrees with function '" + fn.name + "'");
    }
    std::map<uint32_t, std::string> local_actions;
    std::set<int> chima_ids(table->at("action_ids").begin(), table->at("action_ids").end());
    for (const auto& [id, scope] : t.actions) {
        const ActionInfo& a = ix.actions.at(id);
        std::string name = local_action_name(a.name, slot);
        const json* ca = name.empty() ? nullptr : find_named(p4info.at("actions"), name);
        if (!ca || !chima_ids.count(ca->at("id").get<int>()))
            refuse("table '" + t.name + "': action '" + a.name + "' is not an action of table '" +
                   local + "' of function '" + fn.name + "'");
        std::vector<std::pair<std::string, int>> params;
        for (const auto& p : ca->at("params"))
            params.emplace_back(p.at("name").get<std::string>(), p.at("width").get<int>());
        check_params(a, params, "table '" + t.name + "'");
        local_actions[id] = name;
    }
    // The default the program compiled in.
    int default_id = table->at("default_action").at("id");
    t.default_action_id = 0;
    for (const auto& [id, name] : local_actions) {
        const json* ca = find_named(p4info.at("actions"), name);
        if (ca->at("id") == default_id)
            t.default_action_id = id;
    }
    if (default_id != 0 && t.default_action_id == 0)
        refuse("table '" + t.name + "' lacks the default action of function '" + fn.name + "'");
    for (const auto& v : table->at("default_action").at("args"))
        t.default_params.push_back(v.get<uint64_t>());
    // Const entries the loader wrote into the maps.
    for (const auto& ce : table->value("const_entries", json::array())) {
        EntryValue e;
        e.priority = t.needs_priority ? ce.at("priority").get<int32_t>() : 0;
        for (const auto& [id, name] : local_actions)
            if (name == ce.at("action"))
                e.action_id = id;
        for (const auto& p : ce.at("params"))
            e.params.push_back(p.get<uint64_t>());
        for (size_t i = 0; i < t.fields.size(); ++i) {
            const json& k = ce.at("keys").at(i);
            FieldValue f;
            uint64_t full = width_mask(t.fields[i].width);
            if (!k.value("wildcard", false)) {
                f.value = k.value("value", uint64_t{0});
                if (t.fields[i].kind == MatchKind::Lpm) {
                    f.prefix_len = k.value("prefix_len", t.fields[i].width);
                } else if (t.fields[i].kind == MatchKind::Ternary) {
                    f.mask = k.value("mask", full) & full;
                    f.value &= f.mask;
                }
                f.present = !(t.fields[i].kind == MatchKind::Lpm && f.prefix_len == 0) &&
                            !(t.fields[i].kind == MatchKind::Ternary && f.mask == 0);
                if (!f.present)
                    f = FieldValue{};
            }
            e.fields.push_back(f);
        }
        t.initial_entries.push_back(std::move(e));
    }
    // The device config's entries for this table, written after the const entries.
    for (const auto& spec : fn.entries) {
        if (spec.table != local)
            continue;
        EntryValue e;
        e.priority = t.needs_priority ? static_cast<int32_t>(spec.priority) : 0;
        for (const auto& [id, name] : local_actions)
            if (name == spec.action)
                e.action_id = id;
        if (e.action_id == 0 || spec.keys.size() != t.fields.size())
            refuse("table '" + t.name + "': an entry of function '" + fn.name +
                   "' does not fit the table (action '" + spec.action + "')");
        e.params = spec.params;
        for (size_t i = 0; i < t.fields.size(); ++i) {
            const p4::KeyMatch& k = spec.keys[i];
            const FieldInfo& info = t.fields[i];
            uint64_t full = width_mask(info.width);
            FieldValue f;
            if (!k.wildcard) {
                f.value = k.value & full;
                if (info.kind == MatchKind::Lpm) {
                    f.prefix_len = k.prefix_len < 0 ? info.width : k.prefix_len;
                } else if (info.kind == MatchKind::Ternary) {
                    f.mask = k.mask & full;
                    f.value &= f.mask;
                }
                f.present = !(info.kind == MatchKind::Lpm && f.prefix_len == 0) &&
                            !(info.kind == MatchKind::Ternary && f.mask == 0);
                if (!f.present)
                    f = FieldValue{};
            }
            e.fields.push_back(f);
        }
        t.config_entries.push_back(std::move(e));
    }
    t.backend = shadow ? function_table_shadow(p4info, *table, local_actions)
                       : function_table_backend(maps, p4info, *table, local_actions);
    t.shape += "|fn:" + fn.name + ":" + table->at("map").get<std::string>();
    ix.table_slot[t.id] = slot;
}

std::string shape_of(const Index& ix, const TableInfo& t) {
    std::string s = t.name + "|" + std::to_string(t.size) + "|" + (t.is_const ? "c" : "");
    for (const auto& f : t.fields)
        s +=
            "|" + std::to_string(f.id) + f.name + ":" + std::to_string(f.width) + kind_name(f.kind);
    for (const auto& [id, scope] : t.actions) {
        const ActionInfo& a = ix.actions.at(id);
        s += "|a" + std::to_string(id) + a.name;
        for (const auto& p : a.params)
            s += "," + std::to_string(p.id) + p.name + ":" + std::to_string(p.width);
    }
    return s;
}

}  // namespace

Index index_p4info(bpf::SwitchPipeline* sw, const cfg::P4Info& info,
                   const std::map<uint32_t, SlotFunction>& slots,
                   const std::map<uint32_t, std::filesystem::path>& slot_dirs) {
    Index ix;
    if (info.action_profiles_size() || info.meters_size() || info.direct_counters_size() ||
        info.direct_meters_size() || info.value_sets_size() || info.digests_size() ||
        info.externs_size())
        refuse(
            "action profiles, meters, direct counters, value sets, digests and externs "
            "are not realised by the eBPF switch");
    for (const auto& a : info.actions()) {
        ActionInfo ai{a.preamble().id(), a.preamble().name(), {}};
        for (const auto& p : a.params())
            ai.params.push_back({p.id(), p.name(), p.bitwidth()});
        if (!ix.actions.emplace(ai.id, ai).second)
            refuse("action id " + std::to_string(ai.id) + " used twice");
    }
    std::map<uint32_t, std::shared_ptr<bpf::SlotMaps>> slot_maps;
    auto maps_of = [&](uint32_t slot) {
        auto& m = slot_maps[slot];
        if (!m) {
            auto dir = slot_dirs.find(slot);
            m = std::make_shared<bpf::SlotMaps>(dir != slot_dirs.end() ? dir->second
                                                : sw                   ? sw->slot_dir(slot)
                                                     : std::filesystem::path("/nonexistent") /
                                                           ("slot-" + std::to_string(slot)));
        }
        return m;
    };
    auto shadow_slot = [&](uint32_t slot) { return !sw && !slot_dirs.count(slot); };

    for (const auto& pt : info.tables()) {
        TableInfo t;
        t.id = pt.preamble().id();
        t.name = pt.preamble().name();
        t.is_const = pt.is_const_table();
        t.const_default_action_id = pt.const_default_action_id();
        for (const auto& f : pt.match_fields()) {
            FieldInfo fi{f.id(), f.name(), f.bitwidth(), match_kind(f, t.name)};
            if (fi.width <= 0 || fi.width > 64)
                refuse("table '" + t.name + "' field '" + fi.name +
                       "': widths 1..64 only on the eBPF switch");
            t.needs_priority |= fi.kind != MatchKind::Exact && fi.kind != MatchKind::Lpm;
            t.fields.push_back(fi);
        }
        for (const auto& ref : pt.action_refs()) {
            if (!ix.actions.count(ref.id()))
                refuse("table '" + t.name + "' refers to action id " + std::to_string(ref.id()) +
                       ", which the P4Info does not define");
            t.actions[ref.id()] = ref.scope();
            t.action_names[ref.id()] = ix.actions.at(ref.id()).name;
        }
        if (pt.implementation_id() != 0 || pt.direct_resource_ids_size() != 0)
            refuse("table '" + t.name +
                   "': action profiles and direct resources are not "
                   "realised by the eBPF switch");
        if (pt.idle_timeout_behavior() != cfg::Table::NO_TIMEOUT)
            refuse("table '" + t.name + "': idle timeouts are not realised by the eBPF switch");
        if (ix.tables.count(t.id))
            refuse("table id " + std::to_string(t.id) + " used twice");
        t.shape = shape_of(ix, t);

        auto tmpl = std::find_if(template_tables().begin(), template_tables().end(),
                                 [&](const TemplateTable& b) { return b.name == t.name; });
        if (tmpl != template_tables().end()) {
            bind_template_table(ix, t, *tmpl, sw);
        } else if (auto fn = function_name(t.name)) {
            auto it = slots.find(fn->first);
            if (it == slots.end())
                refuse("table '" + t.name + "': no function in slot " + std::to_string(fn->first));
            bind_function_table(ix, t, fn->first, fn->second, it->second, maps_of(fn->first),
                                shadow_slot(fn->first));
        } else {
            refuse("table '" + t.name + "' maps onto nothing of the eBPF switch");
        }
        int64_t capacity = t.backend->capacity();
        t.size = pt.size() > 0 ? std::min<int64_t>(pt.size(), capacity) : capacity;
        ix.tables.emplace(t.id, std::move(t));
    }

    for (const auto& pc : info.counters()) {
        CounterInfo c{pc.preamble().id(), pc.preamble().name(), pc.size(), nullptr};
        auto tmpl = std::find_if(template_counters().begin(), template_counters().end(),
                                 [&](const TemplateCounter& b) { return b.name == c.name; });
        if (tmpl != template_counters().end()) {
            if (c.size > tmpl->max_size)
                refuse("counter '" + c.name + "' has " + std::to_string(c.size) +
                       " cells, the switch's " + std::to_string(tmpl->max_size));
            if (!tmpl->has_bytes && pc.spec().unit() != cfg::CounterSpec::PACKETS)
                refuse("counter '" + c.name + "' counts packets only on the eBPF switch");
            c.backend = sw ? tmpl->make(sw) : shadow_counter(tmpl->make(nullptr)->size());
        } else if (auto fn = function_name(c.name)) {
            auto it = slots.find(fn->first);
            const json* fc = it == slots.end()
                                 ? nullptr
                                 : find_named(list_of(it->second.p4info, "counters"), fn->second);
            if (!fc)
                refuse("counter '" + c.name + "' is not a counter of the function in slot " +
                       std::to_string(fn->first));
            if (std::max<int64_t>(1, fc->at("size").get<int64_t>()) != c.size)
                refuse("counter '" + c.name + "' has " + std::to_string(c.size) +
                       " cells, the function's " + fc->at("size").dump());
            c.backend = shadow_slot(fn->first) ? shadow_counter(c.size)
                                               : function_counter_backend(maps_of(fn->first), *fc);
        } else {
            refuse("counter '" + c.name + "' maps onto nothing of the eBPF switch");
        }
        if (!ix.counters.emplace(c.id, c).second)
            refuse("counter id " + std::to_string(c.id) + " used twice");
    }

    for (const auto& pr : info.registers()) {
        RegisterInfo r{pr.preamble().id(), pr.preamble().name(), pr.size(), 0, nullptr};
        const auto& ts = pr.type_spec();
        if (!ts.has_bitstring() || !ts.bitstring().has_bit())
            refuse("register '" + r.name + "': only bit<W> registers on the eBPF switch");
        r.width = ts.bitstring().bit().bitwidth();
        auto tmpl = std::find_if(template_registers().begin(), template_registers().end(),
                                 [&](const TemplateRegister& b) { return b.name == r.name; });
        if (tmpl != template_registers().end()) {
            if (r.size > tmpl->max_size || r.width != tmpl->width)
                refuse("register '" + r.name + "' disagrees with the switch's (bit<" +
                       std::to_string(tmpl->width) + ">[" + std::to_string(tmpl->max_size) + "])");
            r.backend = sw ? tmpl->make(sw) : shadow_register(tmpl->make(nullptr)->size());
        } else if (auto fn = function_name(r.name)) {
            auto it = slots.find(fn->first);
            const json* fr = it == slots.end()
                                 ? nullptr
                                 : find_named(list_of(it->second.p4info, "registers"), fn->second);
            if (!fr)
                refuse("register '" + r.name + "' is not a register of the function in slot " +
                       std::to_string(fn->first));
            if (std::max<int64_t>(1, fr->at("size").get<int64_t>()) != r.size ||
                fr->at("width").get<int>() != r.width)
                refuse("register '" + r.name + "' disagrees with the function's (bit<" +
                       fr->at("width").dump() + ">[" + fr->at("size").dump() + "])");
            r.backend = shadow_slot(fn->first) ? shadow_register(r.size)
                                               : function_register_backend(maps_of(fn->first), *fr);
        } else {
            refuse("register '" + r.name + "' maps onto nothing of the eBPF switch");
        }
        if (r.width <= 0 || r.width > 64)
            refuse("register '" + r.name + "': widths 1..64 only on the eBPF switch");
        if (!ix.registers.emplace(r.id, r).second)
            refuse("register id " + std::to_string(r.id) + " used twice");
    }
    return ix;
}

}  // namespace chima::p4rt::detail
