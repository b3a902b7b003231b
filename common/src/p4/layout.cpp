#include "chima/p4/layout.hpp"

#include <algorithm>

namespace chima::p4 {

int container_bytes(int width) {
    if (width <= 8)
        return 1;
    if (width <= 16)
        return 2;
    if (width <= 32)
        return 4;
    return 8;
}

namespace {

int align_up(int v, int a) {
    return (v + a - 1) / a * a;
}

// Lays out fields naturally aligned from `start`; returns the end offset.
int place(std::vector<FieldLayout>& fields, int start, int* max_align) {
    int off = start;
    for (auto& f : fields) {
        f.size = container_bytes(f.width);
        off = align_up(off, f.size);
        f.offset = off;
        off += f.size;
        *max_align = std::max(*max_align, f.size);
    }
    return off;
}

int type_width(const Type& t) {
    return t.kind == Type::Kind::Bool ? 1 : t.width;
}

}  // namespace

std::string expr_text(const Expr& e) {
    switch (e.kind) {
        case ExprKind::Name:
            return e.name;
        case ExprKind::Member:
            return expr_text(*e.kids[0]) + "." + e.name;
        case ExprKind::Int:
            return std::to_string(e.value);
        case ExprKind::Slice:
            return expr_text(*e.kids[0]) + "[" + expr_text(*e.kids[1]) + ":" +
                   expr_text(*e.kids[2]) + "]";
        case ExprKind::Call:
            return expr_text(*e.kids[0]) + "()";
        default:
            return "expr";
    }
}

const ActionLayout* FunctionLayout::action(const std::string& name) const {
    for (const auto& a : actions)
        if (a.name == name)
            return &a;
    return nullptr;
}
const ActionLayout* FunctionLayout::action(const Decl* d) const {
    for (const auto& a : actions)
        if (a.decl == d)
            return &a;
    return nullptr;
}
const TableLayout* FunctionLayout::table(const std::string& name) const {
    for (const auto& t : tables)
        if (t.name == name)
            return &t;
    return nullptr;
}

FunctionLayout layout_function(const CheckedFunction& fn) {
    FunctionLayout out;
    out.function = fn.control->name;
    // Actions: those of the control and of the file, then prelude actions tables use.
    std::vector<const Decl*> actions;
    for (const auto& d : fn.program->decls)
        if (!d->from_prelude && d->kind == DeclKind::Action)
            actions.push_back(d.get());
    for (const auto& l : fn.control->locals)
        if (l->kind == DeclKind::Action)
            actions.push_back(l.get());
    for (const auto& l : fn.control->locals) {
        if (l->kind != DeclKind::Table)
            continue;
        for (const auto& a : l->actions)
            if (a.decl && std::find(actions.begin(), actions.end(), a.decl) == actions.end())
                actions.push_back(a.decl);
    }
    for (const Decl* a : actions) {
        ActionLayout al;
        al.id = static_cast<int>(out.actions.size()) + 1;
        al.name = a->name;
        al.decl = a;
        for (const auto& p : a->params) {
            if (!p.direction.empty())
                continue;
            FieldLayout f;
            f.name = p.name;
            f.width = p.resolved.kind == Type::Kind::Bool ? 1 : p.resolved.width;
            al.params.push_back(f);
        }
        int max_align = 1;
        int end = place(al.params, 0, &max_align);
        (void)end;
        for (auto& f : al.params)
            f.offset += 8;
        out.actions.push_back(std::move(al));
    }
    for (const auto& l : fn.control->locals) {
        if (l->kind == DeclKind::Table) {
            TableLayout t;
            t.id = static_cast<int>(out.tables.size()) + 1;
            t.name = l->name;
            t.decl = l.get();
            if (l->size && l->size->is_const)
                t.size = static_cast<int>(l->size->value);
            bool any_ternary = false, any_lpm = false;
            for (const auto& k : l->keys) {
                FieldLayout f;
                f.name = expr_text(*k.expr);
                f.match = k.match_kind;
                f.width = type_width(k.expr->type);
                f.p4_index = static_cast<int>(t.keys.size());
                any_ternary |= k.match_kind == "ternary";
                any_lpm |= k.match_kind == "lpm";
                t.keys.push_back(f);
            }
            t.kind = any_ternary ? TableKind::Ternary : any_lpm ? TableKind::Lpm : TableKind::Exact;
            t.map = "tbl_" + l->name;
            int max_align = 4;
            if (t.kind == TableKind::Exact) {
                max_align = 1;
                int end = place(t.keys, 0, &max_align);
                t.key_size = std::max(1, align_up(end, max_align));
            } else if (t.kind == TableKind::Ternary) {
                int end = place(t.keys, 4, &max_align);  // u32 mask_id first
                t.key_size = align_up(end, max_align);
                t.masks_map = "msk_" + l->name;
                t.max_masks = kTernaryMaxMasks;
            } else {
                // LPM trie: exact fields first, the lpm field last, all big-endian, packed.
                std::stable_partition(t.keys.begin(), t.keys.end(),
                                      [](const FieldLayout& f) { return f.match != "lpm"; });
                int off = 4;
                for (auto& f : t.keys) {
                    f.size = f.match == "lpm" ? (f.width + 7) / 8 : container_bytes(f.width);
                    f.offset = off;
                    f.big_endian = true;
                    off += f.size;
                }
                t.key_size = off;
            }
            for (const auto& a : l->actions) {
                const ActionLayout* al = out.action(a.decl);
                if (al)
                    t.action_ids.push_back(al->id);
            }
            int value_end = 8;
            for (int id : t.action_ids) {
                for (const auto& p : out.actions[id - 1].params)
                    value_end = std::max(value_end, p.offset + p.size);
            }
            t.value_size = align_up(value_end, 8);
            // Default action: written, else NoAction semantics (id 0 = do nothing).
            if (l->default_action) {
                const Decl* d = l->default_action->decl;
                const ActionLayout* al = out.action(d);
                if (al)
                    t.default_action_id = al->id;
                if (l->default_action->kind == ExprKind::Call) {
                    for (size_t i = 1; i < l->default_action->kids.size(); ++i)
                        t.default_args.push_back(l->default_action->kids[i]->value);
                }
            } else {
                const ActionLayout* na = out.action("NoAction");
                t.default_action_id = na ? na->id : 0;
            }
            out.tables.push_back(std::move(t));
        } else if (l->kind == DeclKind::Instance) {
            ExternLayout e;
            e.name = l->name;
            e.kind = l->type.name;
            e.size = l->args.empty() ? 0 : static_cast<int>(l->args[0]->value);
            if (e.kind == "register") {
                e.map = "reg_" + l->name;
                const Type& el = l->resolved_type.args.at(0);
                e.width = el.kind == Type::Kind::Bool ? 1 : el.width;
                e.value_size = container_bytes(e.width);
            } else {
                e.map = "cnt_" + l->name;
                e.value_size = 16;
                e.counter_type = l->args.size() > 1 ? expr_text(*l->args[1]) : "packets";
                auto dot = e.counter_type.rfind('.');
                if (dot != std::string::npos)
                    e.counter_type = e.counter_type.substr(dot + 1);
            }
            out.externs.push_back(std::move(e));
        }
    }
    return out;
}

namespace {
nlohmann::json field_json(const FieldLayout& f, bool key) {
    nlohmann::json j = {{"name", f.name},
                        {"width", f.width},
                        {"offset", f.offset},
                        {"size", f.size},
                        {"byte_order", f.big_endian ? "big" : "host"}};
    if (key) {
        j["match"] = f.match;
        j["p4_index"] = f.p4_index;
    }
    return j;
}
const char* kind_name(TableKind k) {
    return k == TableKind::Exact ? "exact" : k == TableKind::Lpm ? "lpm" : "ternary";
}
}  // namespace

nlohmann::json p4info_json(const FunctionLayout& layout, const CheckedFunction& fn) {
    (void)fn;
    nlohmann::json j;
    j["format"] = "chima-p4info-1";
    j["function"] = layout.function;
    j["program"] = layout.program;
    j["actions"] = nlohmann::json::array();
    for (const auto& a : layout.actions) {
        nlohmann::json ja = {{"id", a.id}, {"name", a.name}, {"params", nlohmann::json::array()}};
        for (const auto& p : a.params)
            ja["params"].push_back(field_json(p, false));
        j["actions"].push_back(ja);
    }
    j["tables"] = nlohmann::json::array();
    for (const auto& t : layout.tables) {
        nlohmann::json jt = {
            {"id", t.id},
            {"name", t.name},
            {"kind", kind_name(t.kind)},
            {"map", t.map},
            {"size", t.size},
            {"key_size", t.key_size},
            {"value_size", t.value_size},
            {"keys", nlohmann::json::array()},
            {"action_ids", t.action_ids},
            {"default_action", {{"id", t.default_action_id}, {"args", t.default_args}}}};
        // const entries: installed by bpf::install_const_entries() after the object is loaded;
        // earlier entries win (priority counts down).
        jt["const_entries"] = nlohmann::json::array();
        const auto& entries = t.decl->entries;
        for (size_t i = 0; i < entries.size(); ++i) {
            const TableEntry& e = entries[i];
            nlohmann::json je;
            je["priority"] = e.priority >= 0 ? e.priority : static_cast<int>(entries.size() - i);
            je["keys"] = nlohmann::json::array();
            for (size_t k = 0; k < e.keys.size(); ++k) {
                const Expr& v = *e.keys[k];
                const std::string& match = t.decl->keys[k].match_kind;
                int w = v.kind == ExprKind::Mask ? v.kids[0]->type.width : v.type.width;
                (void)w;
                if (v.kind == ExprKind::Default) {
                    je["keys"].push_back({{"wildcard", true}});
                } else if (v.kind == ExprKind::Mask) {
                    uint64_t mask = v.kids[1]->value;
                    nlohmann::json jk = {{"value", v.kids[0]->value}, {"mask", mask}};
                    if (match == "lpm") {
                        int ones = 0;
                        for (int b = 63; b >= 0 && ((mask >> b) & 1); --b)
                            ++ones;
                        int width = t.decl->keys[k].expr->type.width;
                        int plen = 0;
                        for (int b = width - 1; b >= 0 && ((mask >> b) & 1); --b)
                            ++plen;
                        (void)ones;
                        jk["prefix_len"] = plen;
                    }
                    je["keys"].push_back(jk);
                } else {
                    je["keys"].push_back({{"value", v.value}});
                }
            }
            const Expr& act = *e.action;
            const Expr& callee = act.kind == ExprKind::Call ? *act.kids[0] : act;
            je["action"] = callee.name;
            je["params"] = nlohmann::json::array();
            if (act.kind == ExprKind::Call)
                for (size_t a = 1; a < act.kids.size(); ++a)
                    je["params"].push_back(act.kids[a]->value);
            jt["const_entries"].push_back(je);
        }
        if (t.kind == TableKind::Ternary) {
            jt["masks_map"] = t.masks_map;
            jt["max_masks"] = t.max_masks;
            jt["mask_id_offset"] = 0;
        }
        if (t.kind == TableKind::Lpm)
            jt["prefixlen_offset"] = 0;
        for (const auto& k : t.keys)
            jt["keys"].push_back(field_json(k, true));
        jt["value"] = {{"action_id_offset", 0}, {"priority_offset", 4}, {"params_offset", 8}};
        j["tables"].push_back(jt);
    }
    j["registers"] = nlohmann::json::array();
    j["counters"] = nlohmann::json::array();
    for (const auto& e : layout.externs) {
        if (e.kind == "register") {
            j["registers"].push_back({{"name", e.name},
                                      {"map", e.map},
                                      {"width", e.width},
                                      {"value_size", e.value_size},
                                      {"size", e.size}});
        } else {
            j["counters"].push_back({{"name", e.name},
                                     {"map", e.map},
                                     {"size", e.size},
                                     {"type", e.counter_type},
                                     {"value", {{"packets_offset", 0}, {"bytes_offset", 8}}},
                                     {"per_cpu", true}});
        }
    }
    return j;
}

}  // namespace chima::p4
