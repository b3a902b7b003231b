// P4Info documents for the P4Runtime entities tests: the template's entities exactly as
// chima-compile's P4Info generator writes them for p4/chima.p4 (template_p4info.hpp), a
// function's built here as "ChimaIngress.functions.fn_<slot>.<local>" from its
// chima-p4info-1 document, with ids of the specification's per-type prefixes that no other
// entity of the P4Info has.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "p4/config/v1/p4info.pb.h"
#include "p4/v1/p4runtime.pb.h"
#include "template_p4info.hpp"

namespace chima::test {

namespace cfgv1 = ::p4::config::v1;

class P4InfoBuilder {
  public:
    using Field = std::tuple<std::string, int, cfgv1::MatchField::MatchType>;
    using Param = std::pair<std::string, int>;

    uint32_t action(const std::string& name, const std::vector<Param>& params = {}) {
        for (const auto& a : info.actions())
            if (a.preamble().name() == name)
                return a.preamble().id();
        auto* a = info.add_actions();
        a->mutable_preamble()->set_id(fresh_id(0x01000000u, actions_));
        a->mutable_preamble()->set_name(name);
        uint32_t id = 1;
        for (const auto& [n, w] : params) {
            auto* p = a->add_params();
            p->set_id(id++);
            p->set_name(n);
            p->set_bitwidth(w);
        }
        return a->preamble().id();
    }

    uint32_t table(const std::string& name, const std::vector<Field>& fields,
                   const std::vector<uint32_t>& action_ids, int64_t size, bool is_const = false) {
        auto* t = info.add_tables();
        t->mutable_preamble()->set_id(fresh_id(0x02000000u, tables_));
        t->mutable_preamble()->set_name(name);
        uint32_t id = 1;
        for (const auto& [n, w, k] : fields) {
            auto* f = t->add_match_fields();
            f->set_id(id++);
            f->set_name(n);
            f->set_bitwidth(w);
            f->set_match_type(k);
        }
        for (uint32_t a : action_ids)
            t->add_action_refs()->set_id(a);
        t->set_size(size);
        t->set_is_const_table(is_const);
        return t->preamble().id();
    }

    uint32_t counter(const std::string& name, int64_t size, cfgv1::CounterSpec::Unit unit) {
        auto* c = info.add_counters();
        c->mutable_preamble()->set_id(fresh_id(0x12000000u, counters_));
        c->mutable_preamble()->set_name(name);
        c->mutable_spec()->set_unit(unit);
        c->set_size(size);
        return c->preamble().id();
    }

    uint32_t reg(const std::string& name, int64_t size, int width) {
        auto* r = info.add_registers();
        r->mutable_preamble()->set_id(fresh_id(0x16000000u, registers_));
        r->mutable_preamble()->set_name(name);
        r->mutable_type_spec()->mutable_bitstring()->mutable_bit()->set_bitwidth(width);
        r->set_size(static_cast<int32_t>(size));
        return r->preamble().id();
    }

    // The template's tables, actions, counters and register as the generator names them.
    void add_template() { info.MergeFrom(template_p4info()); }

    // A function's tables, actions, counters and registers from its chima-p4info-1.
    void add_function(uint32_t slot, const nlohmann::json& p4info, int64_t table_size = 0) {
        std::string prefix = "ChimaIngress.functions.fn_" + std::to_string(slot) + ".";
        std::map<int, uint32_t> ids;
        for (const auto& a : p4info.at("actions")) {
            std::string name = a.at("name");
            std::vector<Param> params;
            for (const auto& p : a.at("params"))
                params.emplace_back(p.at("name"), p.at("width"));
            ids[a.at("id")] = action(name == "NoAction" ? name : prefix + name, params);
        }
        for (const auto& t : p4info.at("tables")) {
            std::vector<Field> fields(t.at("keys").size());
            for (const auto& k : t.at("keys")) {
                std::string m = k.at("match");
                auto kind = m == "exact" ? cfgv1::MatchField::EXACT
                            : m == "lpm" ? cfgv1::MatchField::LPM
                                         : cfgv1::MatchField::TERNARY;
                fields.at(k.at("p4_index").get<size_t>()) = {k.at("name"), k.at("width"), kind};
            }
            std::vector<uint32_t> acts;
            for (int id : t.at("action_ids"))
                acts.push_back(ids.at(id));
            bool is_const = !t.value("const_entries", nlohmann::json::array()).empty();
            table(prefix + t.at("name").get<std::string>(), fields, acts,
                  table_size ? table_size : t.at("size").get<int64_t>(), is_const);
        }
        for (const auto& c : p4info.value("counters", nlohmann::json::array()))
            counter(prefix + c.at("name").get<std::string>(),
                    std::max<int64_t>(1, c.at("size").get<int64_t>()), cfgv1::CounterSpec::BOTH);
        for (const auto& r : p4info.value("registers", nlohmann::json::array()))
            reg(prefix + r.at("name").get<std::string>(),
                std::max<int64_t>(1, r.at("size").get<int64_t>()), r.at("width"));
    }

    const cfgv1::Table& table_named(const std::string& name) const {
        for (const auto& t : info.tables())
            if (t.preamble().name() == name)
                return t;
        throw std::runtime_error("no table " + name);
    }
    uint32_t id_of(const std::string& name) const {
        for (const auto& t : info.tables())
            if (t.preamble().name() == name)
                return t.preamble().id();
        for (const auto& a : info.actions())
            if (a.preamble().name() == name)
                return a.preamble().id();
        for (const auto& c : info.counters())
            if (c.preamble().name() == name)
                return c.preamble().id();
        for (const auto& r : info.registers())
            if (r.preamble().name() == name)
                return r.preamble().id();
        throw std::runtime_error("no entity " + name);
    }

    // The id of match field `field` of table `table`.
    uint32_t field_id(const std::string& table, const std::string& field) const {
        for (const auto& f : table_named(table).match_fields())
            if (f.name() == field)
                return f.id();
        throw std::runtime_error("no field " + field + " in " + table);
    }

    cfgv1::P4Info info;

  private:
    // The next id after `last` with type prefix `prefix` that no entity has yet.
    uint32_t fresh_id(uint32_t prefix, uint32_t& last) const {
        while (taken(prefix + ++last)) {
        }
        return prefix + last;
    }
    bool taken(uint32_t id) const {
        auto in = [id](const auto& list) {
            return std::any_of(list.begin(), list.end(),
                               [id](const auto& x) { return x.preamble().id() == id; });
        };
        return in(info.tables()) || in(info.actions()) || in(info.counters()) ||
               in(info.registers());
    }

    uint32_t actions_ = 0, tables_ = 0, counters_ = 0, registers_ = 0;
};

// Big-endian bytes of `value` in exactly `bytes` bytes (a client may pad).
inline std::string be(uint64_t value, int bytes) {
    std::string s(static_cast<size_t>(bytes), '\0');
    for (int i = bytes - 1; i >= 0; --i, value >>= 8)
        s[static_cast<size_t>(i)] = static_cast<char>(value & 0xff);
    return s;
}

// Builds updates tersely.
struct EntryBuilder {
    ::p4::v1::TableEntry e;
    explicit EntryBuilder(uint32_t table) { e.set_table_id(table); }
    EntryBuilder& exact(uint32_t field, std::string v) {
        auto* m = e.add_match();
        m->set_field_id(field);
        m->mutable_exact()->set_value(std::move(v));
        return *this;
    }
    EntryBuilder& lpm(uint32_t field, std::string v, int plen) {
        auto* m = e.add_match();
        m->set_field_id(field);
        m->mutable_lpm()->set_value(std::move(v));
        m->mutable_lpm()->set_prefix_len(plen);
        return *this;
    }
    EntryBuilder& ternary(uint32_t field, std::string v, std::string mask) {
        auto* m = e.add_match();
        m->set_field_id(field);
        m->mutable_ternary()->set_value(std::move(v));
        m->mutable_ternary()->set_mask(std::move(mask));
        return *this;
    }
    EntryBuilder& priority(int32_t p) {
        e.set_priority(p);
        return *this;
    }
    EntryBuilder& action(uint32_t id, const std::vector<std::string>& params = {}) {
        auto* a = e.mutable_action()->mutable_action();
        a->set_action_id(id);
        uint32_t pid = 1;
        for (const auto& v : params) {
            auto* p = a->add_params();
            p->set_param_id(pid++);
            p->set_value(v);
        }
        return *this;
    }
    ::p4::v1::Update update(::p4::v1::Update::Type type) const {
        ::p4::v1::Update u;
        u.set_type(type);
        *u.mutable_entity()->mutable_table_entry() = e;
        return u;
    }
};

}  // namespace chima::test
