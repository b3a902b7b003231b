// The P4Runtime entities of a checked program, walked as p4c names them, and their P4Info
// in the protobuf JSON mapping (see chima/p4/p4runtime_info.hpp).
#include "chima/p4/p4runtime_info.hpp"

#include <algorithm>
#include <set>

#include "chima/error.hpp"
#include "chima/p4/layout.hpp"

namespace chima::p4 {

using nlohmann::json;

namespace {

int bitwidth_of(const Type& t) {
    if (t.kind == Type::Kind::Bool)
        return 1;
    return t.width;
}

std::string upper(std::string s) {
    for (auto& c : s)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

// A constructor argument that the checker folded to a constant.
int64_t constant_arg(const Decl& inst, size_t i) {
    if (inst.args.size() <= i || !inst.args[i]->is_const)
        throw InputError(inst.loc.mark(), "'" + inst.name + "': constructor argument " +
                                              std::to_string(i + 1) + " is not a constant");
    return static_cast<int64_t>(inst.args[i]->value);
}

std::string counter_unit(const Decl& inst) {
    const Expr* e = inst.args.size() > 1 ? inst.args[1].get() : nullptr;
    std::string member = e && e->kind == ExprKind::Member ? e->name : "";
    if (member == "packets")
        return "PACKETS";
    if (member == "bytes")
        return "BYTES";
    if (member == "packets_and_bytes")
        return "BOTH";
    throw InputError(inst.loc.mark(),
                     "'" + inst.name + "': counter type is not a CounterType member");
}

// The control-plane name of a declaration under `path`: @name("x") renames it, a leading dot
// makes it global ("x"), as p4c's front end names its copies.
std::string named(const Decl& d, const std::string& path) {
    const Annotation* a = find_annotation(d.annotations, "name");
    if (a && a->args.size() == 1) {
        const std::string& n = a->args[0];
        if (!n.empty() && n[0] == '.')
            return n.substr(1);
        return path.empty() ? n : path + "." + n;
    }
    return path.empty() ? d.name : path + "." + d.name;
}

std::optional<uint32_t> explicit_id(const std::vector<Annotation>& list) {
    const Annotation* a = find_annotation(list, "id");
    if (!a || a->args.size() != 1)
        return std::nullopt;
    unsigned long long v = 0;
    try {
        v = std::stoull(a->args[0], nullptr, 0);
    } catch (const std::logic_error&) {
        throw InputError(a->loc.mark(), "@id takes an unsigned integer");
    }
    if (v > 0xffffffffULL)
        throw InputError(a->loc.mark(), "@id does not fit in 32 bits");
    return static_cast<uint32_t>(v);
}

// Collects entities while walking control instances from the package down.
class Walker {
  public:
    explicit Walker(const Program& program) : program_(program) {}
    P4rtEntities out;

    // An action no table lists is only ever called from code: p4c's front end turns its
    // directionless parameters into locals bound at the call, so its P4Info has none.
    void drop_params_of_unreferenced_actions() {
        std::set<std::string> referenced;
        for (const auto& t : out.tables)
            referenced.insert(t.actions.begin(), t.actions.end());
        for (auto& a : out.actions)
            if (!referenced.count(a.name))
                a.params.clear();
    }

    void control(const Decl& c, const std::string& path) {
        for (const auto& l : c.locals) {
            if (l->kind == DeclKind::Action) {
                action(*l, action_name(*l, path));
                global_actions_called(l->body.get());
            }
        }
        global_actions_called(c.body.get());
        for (const auto& l : c.locals) {
            switch (l->kind) {
                case DeclKind::Table:
                    table(*l, path);
                    break;
                case DeclKind::Instance:
                    instance(*l, path);
                    break;
                default:
                    break;
            }
        }
    }

    const Decl* top_level(const std::string& name) const {
        for (const auto& d : program_.decls)
            if (d->name == name && (d->kind == DeclKind::Control || d->kind == DeclKind::Parser))
                return d.get();
        return nullptr;
    }

  private:
    const Program& program_;
    std::set<std::string> actions_seen_;

    const Decl* global(const std::string& name, DeclKind kind) const {
        for (const auto& d : program_.decls)
            if (d->name == name && d->kind == kind)
                return d.get();
        return nullptr;
    }

    // A global action the code calls is an action of the control in p4c (LocalizeAllActions),
    // like one a table lists.
    void global_actions_called(const Stmt* s) {
        if (!s)
            return;
        if (s->kind == StmtKind::Call && s->rhs && s->rhs->kind == ExprKind::Call) {
            const Decl* callee = s->rhs->kids[0]->decl;
            if (callee && callee->kind == DeclKind::Action &&
                global(callee->name, DeclKind::Action) == callee)
                action(*callee, action_name(*callee, ""));
        }
        for (const auto& x : s->stmts)
            global_actions_called(x.get());
        global_actions_called(s->then_s.get());
        global_actions_called(s->else_s.get());
        for (const auto& c : s->cases)
            global_actions_called(c.body.get());
    }

    // Global actions (declared outside any control) keep their bare name, as p4c's
    // LocalizeAllActions names its copies.
    std::string action_name(const Decl& a, const std::string& path) const {
        for (const auto& d : program_.decls)
            if (d.get() == &a)
                return named(a, "");
        return named(a, path);
    }

    void action(const Decl& a, const std::string& name) {
        if (!actions_seen_.insert(name).second)
            return;
        P4rtAction pa;
        pa.name = name;
        pa.id = explicit_id(a.annotations);
        if (a.name == "NoAction" && a.from_prelude)
            pa.annotations.push_back("@noWarn(\"unused\")");  // as core.p4 declares it
        for (const auto& p : a.params)
            if (p.direction.empty())
                pa.params.push_back({p.name, bitwidth_of(p.resolved)});
        out.actions.push_back(std::move(pa));
    }

    void table(const Decl& t, const std::string& path) {
        P4rtTable pt;
        pt.name = named(t, path);
        pt.id = explicit_id(t.annotations);
        for (const auto& k : t.keys) {
            const Annotation* n = find_annotation(k.annotations, "name");
            std::string name = n && n->args.size() == 1 ? n->args[0] : expr_text(*k.expr);
            pt.match_fields.push_back({name, bitwidth_of(k.expr->type), upper(k.match_kind)});
        }
        for (const auto& a : t.actions) {
            if (!a.decl)
                continue;
            std::string name = action_name(*a.decl, path);
            action(*a.decl, name);
            pt.actions.push_back(name);
            std::string scope;
            if (find_annotation(a.annotations, "defaultonly"))
                scope = "DEFAULT_ONLY";
            else if (find_annotation(a.annotations, "tableonly"))
                scope = "TABLE_ONLY";
            pt.action_scopes.push_back(scope);
        }
        // No default action: p4c makes it NoAction, listed for the default only if the table
        // does not list it.
        const Decl* no_action = global("NoAction", DeclKind::Action);
        if (!t.default_action && no_action &&
            std::find(pt.actions.begin(), pt.actions.end(), "NoAction") == pt.actions.end()) {
            action(*no_action, "NoAction");
            pt.actions.push_back("NoAction");
            pt.action_scopes.push_back("DEFAULT_ONLY");
        }
        if (t.const_default && t.default_action) {
            const Expr& d = *t.default_action;
            const Expr& callee = d.kind == ExprKind::Call ? *d.kids[0] : d;
            if (callee.decl)
                pt.const_default_action = action_name(*callee.decl, path);
        }
        pt.is_const_table = t.has_const_entries;
        if (t.size)
            pt.size = static_cast<int64_t>(t.size->value);
        out.tables.push_back(std::move(pt));
    }

    void instance(const Decl& inst, const std::string& path) {
        const Type& type = inst.resolved_type;
        std::string name = named(inst, path);
        if (type.kind == Type::Kind::Control && type.decl) {
            control(*type.decl, name);
            return;
        }
        if (type.kind != Type::Kind::Extern || !type.decl)
            return;
        const std::string& extern_name = type.decl->name;
        if (extern_name == "register") {
            int width = type.args.empty() ? 0 : bitwidth_of(type.args[0]);
            out.registers.push_back({name, width, static_cast<int32_t>(constant_arg(inst, 0)),
                                     explicit_id(inst.annotations)});
        } else if (extern_name == "counter") {
            out.counters.push_back(
                {name, counter_unit(inst), constant_arg(inst, 0), explicit_id(inst.annotations)});
        }
    }
};

json preamble(uint32_t id, const std::string& name, const std::vector<std::string>& all,
              const std::vector<std::string>& annotations = {}) {
    json p = {{"id", id}, {"name", name}, {"alias", p4runtime_alias(name, all)}};
    if (!annotations.empty())
        p["annotations"] = annotations;
    return p;
}

}  // namespace

std::string function_instance_path(uint32_t slot) {
    return std::string(kFunctionsPath) + ".fn_" + std::to_string(slot);
}

void P4rtEntities::merge(const P4rtEntities& other) {
    auto add_all = [](auto& into, const auto& from) {
        for (const auto& x : from) {
            bool present = std::any_of(into.begin(), into.end(),
                                       [&](const auto& y) { return y.name == x.name; });
            if (!present)
                into.push_back(x);
        }
    };
    add_all(tables, other.tables);
    add_all(actions, other.actions);
    add_all(counters, other.counters);
    add_all(registers, other.registers);
}

P4rtEntities p4rt_entities_of_program(const Program& program) {
    Walker w(program);
    const Decl* package = nullptr;
    for (const auto& d : program.decls)
        if (d->kind == DeclKind::Instance && d->resolved_type.kind == Type::Kind::Package)
            package = d.get();
    if (!package)
        throw InputError("the P4 program has no package instance (V1Switch(...) main)");
    // V1Switch(ChimaParser(), ..., ChimaIngress(), ...): anonymous instances, named by
    // their type in the control plane.
    for (const auto& arg : package->args) {
        const Expr& callee = arg->kind == ExprKind::Call ? *arg->kids[0] : *arg;
        const Decl* block = w.top_level(callee.name);
        if (block && block->kind == DeclKind::Control)
            w.control(*block, block->name);
    }
    w.drop_params_of_unreferenced_actions();
    return std::move(w.out);
}

P4rtEntities p4rt_entities_of_function(const CheckedFunction& fn, uint32_t slot) {
    if (!fn.control)
        throw InputError("p4rt_entities_of_function: the function did not check");
    Walker w(*fn.program);
    w.control(*fn.control, function_instance_path(slot));
    w.drop_params_of_unreferenced_actions();
    return std::move(w.out);
}

json p4runtime_info(const P4rtEntities& e) {
    P4IdAllocator ids;
    std::vector<std::string> all;
    auto add = [&](P4IdPrefix type, const auto& entity) {
        if (entity.id)
            ids.reserve(type, entity.name, *entity.id);
        else
            ids.add(type, entity.name);
        all.push_back(entity.name);
    };
    for (const auto& t : e.tables)
        add(P4IdPrefix::Table, t);
    for (const auto& a : e.actions)
        add(P4IdPrefix::Action, a);
    for (const auto& c : e.counters)
        add(P4IdPrefix::Counter, c);
    for (const auto& r : e.registers)
        add(P4IdPrefix::Register, r);
    ids.assign();

    json info = {{"pkgInfo", {{"arch", "v1model"}}}};
    json tables = json::array(), actions = json::array(), counters = json::array(),
         registers = json::array();
    for (const auto& t : e.tables) {
        json jt = {{"preamble", preamble(ids.id(P4IdPrefix::Table, t.name), t.name, all)}};
        json fields = json::array();
        for (size_t i = 0; i < t.match_fields.size(); ++i) {
            const auto& f = t.match_fields[i];
            fields.push_back({{"id", i + 1},
                              {"name", f.name},
                              {"bitwidth", f.bitwidth},
                              {"matchType", f.match_type}});
        }
        if (!fields.empty())
            jt["matchFields"] = fields;
        json refs = json::array();
        for (size_t i = 0; i < t.actions.size(); ++i) {
            json ref = {{"id", ids.id(P4IdPrefix::Action, t.actions[i])}};
            std::string scope = i < t.action_scopes.size() ? t.action_scopes[i] : "";
            if (!scope.empty()) {
                ref["scope"] = scope;
                ref["annotations"] = {scope == "DEFAULT_ONLY" ? "@defaultonly" : "@tableonly"};
            }
            refs.push_back(std::move(ref));
        }
        if (!refs.empty())
            jt["actionRefs"] = refs;
        if (!t.const_default_action.empty())
            jt["constDefaultActionId"] = ids.id(P4IdPrefix::Action, t.const_default_action);
        jt["size"] = std::to_string(t.size);  // int64: a string in the JSON mapping
        if (t.is_const_table) {
            jt["isConstTable"] = true;
            jt["hasInitialEntries"] = true;
        }
        tables.push_back(std::move(jt));
    }
    for (const auto& a : e.actions) {
        json ja = {
            {"preamble", preamble(ids.id(P4IdPrefix::Action, a.name), a.name, all, a.annotations)}};
        json params = json::array();
        for (size_t i = 0; i < a.params.size(); ++i)
            params.push_back(
                {{"id", i + 1}, {"name", a.params[i].name}, {"bitwidth", a.params[i].bitwidth}});
        if (!params.empty())
            ja["params"] = params;
        actions.push_back(std::move(ja));
    }
    for (const auto& c : e.counters)
        counters.push_back(
            {{"preamble", preamble(ids.id(P4IdPrefix::Counter, c.name), c.name, all)},
             {"spec", {{"unit", c.unit}}},
             {"size", std::to_string(c.size)}});
    for (const auto& r : e.registers)
        registers.push_back(
            {{"preamble", preamble(ids.id(P4IdPrefix::Register, r.name), r.name, all)},
             {"typeSpec", {{"bitstring", {{"bit", {{"bitwidth", r.bitwidth}}}}}}},
             {"size", r.size}});
    // Empty repeated fields are absent in the JSON mapping.
    if (!tables.empty())
        info["tables"] = tables;
    if (!actions.empty())
        info["actions"] = actions;
    if (!counters.empty())
        info["counters"] = counters;
    if (!registers.empty())
        info["registers"] = registers;
    info["typeInfo"] = json::object();
    return info;
}

json p4runtime_info(const Program& program) {
    return p4runtime_info(p4rt_entities_of_program(program));
}

json p4runtime_info(const CheckedFunction& fn, uint32_t slot) {
    return p4runtime_info(p4rt_entities_of_function(fn, slot));
}

}  // namespace chima::p4
