#include "p4runtime_names.hpp"

#include "chima/error.hpp"

namespace chima::remote::detail {

std::string bitstring(uint64_t value, int bitwidth, const std::string& what) {
    if (bitwidth < 64 && (value >> bitwidth) != 0)
        throw InputError(what + ": " + std::to_string(value) + " does not fit in bit<" +
                         std::to_string(bitwidth) + ">");
    std::string out;
    do {
        out.insert(out.begin(), static_cast<char>(value & 0xff));
        value >>= 8;
    } while (value != 0);
    return out;
}

uint64_t bitstring_value(const std::string& bytes) {
    uint64_t v = 0;
    for (unsigned char c : bytes)
        v = (v << 8) | c;
    return v;
}

P4InfoNames::P4InfoNames(const ::p4::config::v1::P4Info& info, std::string where)
    : where_(std::move(where)) {
    for (const auto& t : info.tables())
        tables_[t.preamble().name()] = t;
    for (const auto& a : info.actions())
        actions_[a.preamble().name()] = a;
    for (const auto& c : info.counters())
        counters_[c.preamble().name()] = c.preamble().id();
}

void P4InfoNames::missing(const std::string& what) const {
    throw RuntimeError(where_ + ": its P4Info has no " + what +
                       " (not a CHIMA template pipeline?)");
}

const ::p4::config::v1::Table& P4InfoNames::table(const std::string& name) const {
    auto it = tables_.find(name);
    if (it == tables_.end())
        missing("table " + name);
    return it->second;
}

const ::p4::config::v1::Action& P4InfoNames::action(const std::string& name) const {
    auto it = actions_.find(name);
    if (it == actions_.end())
        missing("action " + name);
    return it->second;
}

uint32_t P4InfoNames::table_id(const std::string& name) const {
    return table(name).preamble().id();
}

uint32_t P4InfoNames::counter(const std::string& name) const {
    auto it = counters_.find(name);
    if (it == counters_.end())
        missing("counter " + name);
    return it->second;
}

::p4::v1::TableEntry P4InfoNames::entry(const std::string& table_name,
                                        const std::vector<FieldMatch>& keys,
                                        int32_t priority) const {
    const auto& t = table(table_name);
    ::p4::v1::TableEntry e;
    e.set_table_id(t.preamble().id());
    e.set_priority(priority);
    for (const auto& k : keys) {
        const ::p4::config::v1::MatchField* f = nullptr;
        for (const auto& mf : t.match_fields())
            if (mf.name() == k.field)
                f = &mf;
        if (!f)
            missing("match field " + k.field + " in table " + table_name);
        std::string what = table_name + " " + k.field;
        switch (k.kind) {
            case FieldMatch::Kind::Exact: {
                auto* m = e.add_match();
                m->set_field_id(f->id());
                m->mutable_exact()->set_value(bitstring(k.value, f->bitwidth(), what));
                break;
            }
            case FieldMatch::Kind::Lpm: {
                // "Match Format": a don't-care (prefix 0) is left out; bits past the prefix 0.
                if (k.prefix_len == 0)
                    break;
                if (k.prefix_len < 0 || k.prefix_len > f->bitwidth())
                    throw InputError(what + ": prefix length " + std::to_string(k.prefix_len) +
                                     " outside 0.." + std::to_string(f->bitwidth()));
                int drop = f->bitwidth() - k.prefix_len;
                uint64_t value = drop >= 64 ? 0 : (k.value >> drop) << drop;
                auto* m = e.add_match();
                m->set_field_id(f->id());
                m->mutable_lpm()->set_value(bitstring(value, f->bitwidth(), what));
                m->mutable_lpm()->set_prefix_len(k.prefix_len);
                break;
            }
            case FieldMatch::Kind::Ternary: {
                if (k.mask == 0)
                    break;
                auto* m = e.add_match();
                m->set_field_id(f->id());
                m->mutable_ternary()->set_value(bitstring(k.value & k.mask, f->bitwidth(), what));
                m->mutable_ternary()->set_mask(bitstring(k.mask, f->bitwidth(), what));
                break;
            }
        }
    }
    return e;
}

void P4InfoNames::set_action(::p4::v1::TableEntry& entry, const std::string& action_name,
                             const std::vector<std::pair<std::string, uint64_t>>& params) const {
    const auto& a = action(action_name);
    auto* out = entry.mutable_action()->mutable_action();
    out->set_action_id(a.preamble().id());
    for (const auto& [name, value] : params) {
        const ::p4::config::v1::Action::Param* p = nullptr;
        for (const auto& ap : a.params())
            if (ap.name() == name)
                p = &ap;
        if (!p)
            missing("parameter " + name + " of action " + action_name);
        auto* param = out->add_params();
        param->set_param_id(p->id());
        param->set_value(bitstring(value, p->bitwidth(), action_name + " " + name));
    }
}

uint64_t P4InfoNames::param(const ::p4::v1::TableEntry& entry, const std::string& action_name,
                            const std::string& param_name) const {
    const auto& a = action(action_name);
    if (!entry.has_action() || entry.action().action().action_id() != a.preamble().id())
        return 0;
    for (const auto& ap : a.params())
        if (ap.name() == param_name)
            for (const auto& p : entry.action().action().params())
                if (p.param_id() == ap.id())
                    return bitstring_value(p.value());
    return 0;
}

}  // namespace chima::remote::detail
