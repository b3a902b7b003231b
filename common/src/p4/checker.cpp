#include "chima/p4/checker.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "chima/p4/parser.hpp"

namespace chima::p4 {

namespace fs = std::filesystem;

namespace {

// The standard_metadata_t fields of the eBPF slot ABI (struct chima_standard_metadata).
const std::set<std::string> kFunctionStandardMetadata = {
    "ingress_port", "egress_spec", "egress_port", "packet_length", "ingress_global_timestamp"};

// Widest scalar a function may use: the back end holds every value in a 64-bit register.
constexpr int kMaxFunctionWidth = 64;

struct Symbol {
    SymKind kind = SymKind::None;
    Type type;
    const Decl* decl = nullptr;
    std::string direction;  // parameters
    bool is_const = false;
    uint64_t value = 0;
};

// Where an expression starts (a.b.c starts at a), for diagnostics about the whole of it.
Loc start_of(const Expr& e) {
    switch (e.kind) {
        case ExprKind::Member:
        case ExprKind::Index:
        case ExprKind::Slice:
        case ExprKind::Call:
        case ExprKind::Binary:
        case ExprKind::Ternary:
        case ExprKind::Mask:
        case ExprKind::Range:
            return e.kids.empty() ? e.loc : start_of(*e.kids[0]);
        default:
            return e.loc;
    }
}

uint64_t mask_of(int w) {
    return w >= 64 ? ~0ULL : ((1ULL << w) - 1);
}

// Two's complement value of width w, sign-extended to 64 bits.
int64_t sext(uint64_t v, int w) {
    if (w >= 64)
        return static_cast<int64_t>(v);
    uint64_t m = 1ULL << (w - 1);
    v &= mask_of(w);
    return static_cast<int64_t>((v ^ m) - m);
}

class Checker {
  public:
    Checker(Program& prog, Diagnostics& diags, bool function_mode)
        : prog_(prog), diags_(diags), fn_(function_mode) {}

    void run() {
        scopes_.emplace_back();
        for (auto& d : prog_.decls)
            declare_global(*d);
        for (auto& d : prog_.decls)
            check_global(*d);
    }

  private:
    // ---------------------------------------------------------------- scopes
    void push() { scopes_.emplace_back(); }
    void pop() { scopes_.pop_back(); }

    void define(const std::string& name, const Loc& loc, Symbol s) {
        auto& top = scopes_.back();
        if (top.count(name)) {
            const Symbol& old = top[name];
            // Type declarations may be repeated identically (an include seen twice).
            if (!(old.decl && old.decl->loc.file == loc.file && old.decl->loc.line == loc.line))
                err(loc, "E0301", "'" + name + "' is already declared");
            return;
        }
        top[name] = std::move(s);
    }

    const Symbol* lookup(const std::string& name) const {
        for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
            auto f = it->find(name);
            if (f != it->end())
                return &f->second;
        }
        return nullptr;
    }
    const Symbol* lookup_global(const std::string& name) const {
        auto f = scopes_.front().find(name);
        return f == scopes_.front().end() ? nullptr : &f->second;
    }

    void err(const Loc& l, const std::string& code, const std::string& msg) {
        diags_.error(l, code, msg);
    }

    // In function mode, a construct of the checked file outside the subset.
    bool refuse(const Loc& l, const std::string& what) {
        if (!fn_)
            return false;
        err(l, "E0314", what + " is not supported in a function");
        return true;
    }

    // ---------------------------------------------------------------- types
    Type resolve(const TypeRef& t, bool allow_unsized_int = false) {
        switch (t.kind) {
            case TypeRef::Kind::Bit:
            case TypeRef::Kind::Int:
            case TypeRef::Kind::Varbit: {
                if (!t.width) {
                    if (t.kind == TypeRef::Kind::Int) {
                        if (!allow_unsized_int)
                            err(t.loc, "E0401",
                                "'int' without a width is only allowed for constants");
                        return Type{Type::Kind::InfInt};
                    }
                    return Type{};
                }
                check_expr(*t.width, nullptr);
                if (!t.width->is_const || !t.width->type.is_integral() ||
                    static_cast<int64_t>(t.width->value) <= 0) {
                    err(t.width->loc, "E0412", "a width must be a positive constant");
                    return Type{};
                }
                int w = static_cast<int>(t.width->value);
                if (t.kind == TypeRef::Kind::Varbit) {
                    refuse(t.loc, "varbit");
                    return Type{Type::Kind::Varbit, w};
                }
                if (fn_ && w > kMaxFunctionWidth && !in_prelude_) {
                    err(t.loc, "E0408",
                        "bit widths above 64 are not supported in a function (got " +
                            std::to_string(w) + ")");
                    return Type{};
                }
                return t.kind == TypeRef::Kind::Bit ? Type::bit(w) : Type::sint(w);
            }
            case TypeRef::Kind::Bool:
                return Type::boolean();
            case TypeRef::Kind::Void:
                return Type{Type::Kind::Void};
            case TypeRef::Kind::String:
                return Type{Type::Kind::String};
            case TypeRef::Kind::Error:
                return Type{Type::Kind::ErrorType};
            case TypeRef::Kind::Tuple:
                if (!in_prelude_)
                    refuse(t.loc, "tuple types");
                return Type{Type::Kind::Tuple};
            case TypeRef::Kind::Stack: {
                if (!in_prelude_)
                    refuse(t.loc, "header stacks");
                Type s{Type::Kind::Stack};
                s.args.push_back(resolve(t.args[0]));
                return s;
            }
            case TypeRef::Kind::Named: {
                const Symbol* s = lookup(t.name);
                static const std::set<std::string> kRefused = {
                    "meter",          "direct_meter",    "direct_counter",
                    "action_profile", "action_selector", "Checksum16",
                    "Hash",           "Random",          "register_array"};
                if (!s && fn_ && kRefused.count(t.name)) {
                    err(t.loc, "E0314", "extern '" + t.name + "' is not supported in a function");
                    return Type{};
                }
                if (!s || s->kind != SymKind::Type) {
                    err(t.loc, s ? "E0302" : "E0300",
                        s ? "'" + t.name + "' is not a type" : "unknown type '" + t.name + "'");
                    return Type{};
                }
                Type r = s->type;
                if (r.kind == Type::Kind::Extern || r.kind == Type::Kind::Control ||
                    r.kind == Type::Kind::Parser || r.kind == Type::Kind::Package) {
                    for (const auto& a : t.args)
                        r.args.push_back(resolve(a));
                } else if (!t.args.empty()) {
                    err(t.loc, "E0401", "type '" + t.name + "' takes no type arguments");
                }
                return r;
            }
            default:
                return Type{};
        }
    }

    // ---------------------------------------------------------------- declarations
    void declare_global(Decl& d) {
        Symbol s;
        s.decl = &d;
        switch (d.kind) {
            case DeclKind::Header:
            case DeclKind::Struct:
            case DeclKind::HeaderUnion:
                s.kind = SymKind::Type;
                s.type = Type{d.kind == DeclKind::Header   ? Type::Kind::Header
                              : d.kind == DeclKind::Struct ? Type::Kind::Struct
                                                           : Type::Kind::HeaderUnion,
                              0, &d};
                define(d.name, d.loc, s);
                break;
            case DeclKind::Enum:
                s.kind = SymKind::Type;
                s.type = Type{Type::Kind::Enum, 0, &d};
                define(d.name, d.loc, s);
                break;
            case DeclKind::ExternObject:
                s.kind = SymKind::Type;
                s.type = Type{Type::Kind::Extern, 0, &d};
                define(d.name, d.loc, s);
                break;
            case DeclKind::Control:
            case DeclKind::ControlType:
                s.kind = SymKind::Type;
                s.type = Type{Type::Kind::Control, 0, &d};
                define(d.name, d.loc, s);
                break;
            case DeclKind::Parser:
            case DeclKind::ParserType:
                s.kind = SymKind::Type;
                s.type = Type{Type::Kind::Parser, 0, &d};
                define(d.name, d.loc, s);
                break;
            case DeclKind::Package:
                s.kind = SymKind::Type;
                s.type = Type{Type::Kind::Package, 0, &d};
                define(d.name, d.loc, s);
                break;
            case DeclKind::Action:
                s.kind = SymKind::Action;
                s.type = Type{Type::Kind::Action, 0, &d};
                define(d.name, d.loc, s);
                break;
            case DeclKind::ExternFunction:
                s.kind = SymKind::ExternFunction;
                define(d.name, d.loc, s);
                break;
            case DeclKind::Error:
            case DeclKind::MatchKind:
                for (const auto& [m, l] : d.members) {
                    if (d.kind == DeclKind::Error) {
                        errors_.insert(m);
                    } else {
                        Symbol ms;
                        ms.kind = SymKind::MatchKindMember;
                        ms.type = Type{Type::Kind::MatchKind};
                        ms.decl = &d;
                        define(m, l, ms);
                    }
                }
                break;
            default:
                break;  // typedefs, constants and instances are declared in order
        }
    }

    void check_global(Decl& d) {
        in_prelude_ = d.from_prelude;
        bool mine = !d.from_prelude;
        switch (d.kind) {
            case DeclKind::Typedef: {
                Symbol s;
                s.kind = SymKind::Type;
                s.type = resolve(d.type);
                s.decl = &d;
                define(d.name, d.loc, s);
                break;
            }
            case DeclKind::Const:
                check_const(d);
                break;
            case DeclKind::Header:
            case DeclKind::Struct:
            case DeclKind::HeaderUnion:
                if (mine && fn_)
                    err(d.loc, "E0313",
                        "type declarations are not allowed in a function: the packet layout is "
                        "fixed by headers_t");
                for (auto& f : d.fields) {
                    Type ft = resolve(f.type);
                    if (d.kind == DeclKind::Header && !ft.is_scalar_int() &&
                        ft.kind != Type::Kind::Varbit && ft.kind != Type::Kind::Unknown &&
                        ft.kind != Type::Kind::Bool)
                        err(f.loc, "E0400", "header fields must be bit<W>, int<W> or varbit");
                }
                break;
            case DeclKind::Enum:
            case DeclKind::ExternObject:
            case DeclKind::ExternFunction:
            case DeclKind::Package:
            case DeclKind::ControlType:
            case DeclKind::ParserType:
            case DeclKind::Error:
            case DeclKind::MatchKind:
                if (mine && fn_)
                    err(d.loc, "E0313",
                        kind_name(d) + " declarations are not allowed in a function");
                break;
            case DeclKind::Parser:
                if (mine && fn_) {
                    err(d.loc, "E0312", "parser blocks are not allowed in a function");
                    break;
                }
                check_parser(d);
                break;
            case DeclKind::Instance:
                if (mine && fn_) {
                    err(d.loc, "E0313", "package instantiation is not allowed in a function");
                    break;
                }
                check_instance(d, true);
                break;
            case DeclKind::Action:
                check_action(d);
                break;
            case DeclKind::Control:
                if (d.from_prelude && fn_)
                    break;
                check_control(d);
                break;
            case DeclKind::Table:
            case DeclKind::Var:
                err(d.loc, "E0313",
                    kind_name(d) + " declarations are only allowed inside a control");
                break;
            default:
                break;
        }
        in_prelude_ = false;
    }

    static std::string kind_name(const Decl& d) {
        switch (d.kind) {
            case DeclKind::Enum:
                return "enum";
            case DeclKind::ExternObject:
            case DeclKind::ExternFunction:
                return "extern";
            case DeclKind::Package:
                return "package";
            case DeclKind::ControlType:
                return "control type";
            case DeclKind::ParserType:
                return "parser type";
            case DeclKind::Error:
                return "error";
            case DeclKind::MatchKind:
                return "match_kind";
            case DeclKind::Table:
                return "table";
            case DeclKind::Var:
                return "variable";
            default:
                return "this";
        }
    }

    void check_const(Decl& d) {
        Type t = resolve(d.type, true);
        check_expr(*d.init, &t);
        coerce(*d.init, t, "constant '" + d.name + "'");
        if (!d.init->is_const && d.init->type.kind != Type::Kind::Unknown)
            err(d.init->loc, "E0413",
                "the value of constant '" + d.name + "' is not a compile-time constant");
        Symbol s;
        s.kind = SymKind::Const;
        s.type = t;
        s.decl = &d;
        s.is_const = d.init->is_const;
        s.value = d.init->value;
        define(d.name, d.loc, s);
    }

    void declare_params(std::vector<Param>& params, bool action) {
        for (auto& p : params) {
            Symbol s;
            s.kind = action && p.direction.empty() ? SymKind::ActionParam : SymKind::Param;
            s.type = resolve(p.type);
            p.resolved = s.type;
            s.direction = p.direction;
            define(p.name, p.loc, s);
        }
    }

    void check_action(Decl& d) {
        push();
        declare_params(d.params, true);
        if (fn_ && !d.from_prelude) {
            for (const auto& p : d.params) {
                if (!p.direction.empty())
                    refuse(p.loc, "action parameters with a direction ('" + p.direction + "')");
            }
        }
        in_action_ = true;
        check_stmt(*d.body);
        in_action_ = false;
        pop();
    }

    void check_control(Decl& d) {
        push();
        bool is_function = fn_ && !d.from_prelude;
        if (is_function)
            check_function_signature(d);
        declare_params(d.params, false);
        declare_params(d.ctor_params, false);
        if (is_function && !d.ctor_params.empty())
            refuse(d.ctor_params[0].loc, "control constructor parameters");
        for (auto& l : d.locals) {
            switch (l->kind) {
                case DeclKind::Action: {
                    Symbol s;
                    s.kind = SymKind::Action;
                    s.type = Type{Type::Kind::Action, 0, l.get()};
                    s.decl = l.get();
                    define(l->name, l->loc, s);
                    check_action(*l);
                    break;
                }
                case DeclKind::Table:
                    check_table(*l);
                    break;
                case DeclKind::Const:
                    check_const(*l);
                    break;
                case DeclKind::Var:
                    check_var(*l);
                    break;
                case DeclKind::Instance:
                    check_instance(*l, false);
                    break;
                default:
                    err(l->loc, "E0313",
                        kind_name(*l) + " declarations are not allowed in a control");
            }
        }
        check_stmt(*d.body);
        pop();
    }

    void check_function_signature(const Decl& d) {
        static const char* const expected[] = {"headers_t", "local_metadata_t",
                                               "standard_metadata_t"};
        bool ok = d.params.size() == 3;
        for (size_t i = 0; ok && i < 3; ++i) {
            const Param& p = d.params[i];
            ok = p.direction == "inout" && p.type.kind == TypeRef::Kind::Named &&
                 p.type.name == expected[i];
        }
        if (!ok)
            err(d.loc, "E0311",
                "a function control must have the signature (inout headers_t, inout "
                "local_metadata_t, inout standard_metadata_t)");
    }

    void check_var(Decl& d) {
        Type t = resolve(d.type);
        if (fn_ && !in_prelude_ && !t.is_scalar_int() && t.kind != Type::Kind::Bool &&
            t.kind != Type::Kind::Unknown)
            refuse(d.type.loc, "local variables of type " + t.str());
        if (d.init) {
            check_expr(*d.init, &t);
            coerce(*d.init, t, "variable '" + d.name + "'");
        }
        Symbol s;
        s.kind = SymKind::Local;
        s.type = t;
        s.decl = &d;
        define(d.name, d.loc, s);
    }

    void check_instance(Decl& d, bool top) {
        Type t = resolve(d.type);
        d.resolved_type = t;
        if (fn_ && !in_prelude_ && !top) {
            bool ok = t.kind == Type::Kind::Extern && t.decl &&
                      (t.decl->name == "register" || t.decl->name == "counter");
            if (!ok && t.kind != Type::Kind::Unknown) {
                refuse(d.type.loc, "instances of '" + (t.decl ? t.decl->name : t.str()) + "'");
            }
            if (ok && t.decl->name == "register") {
                if (t.args.size() != 1 || !(t.args[0].is_scalar_int())) {
                    err(d.type.loc, "E0400", "register element type must be bit<W> or int<W>");
                }
            }
        }
        // Constructor arguments.
        const Decl* ctor = nullptr;
        if (t.kind == Type::Kind::Extern && t.decl) {
            for (const auto& m : t.decl->locals)
                if (m->name == t.decl->name && m->params.size() == d.args.size())
                    ctor = m.get();
            if (!ctor)
                err(d.loc, "E0305",
                    "no constructor of '" + t.decl->name + "' takes " +
                        std::to_string(d.args.size()) + " arguments");
        }
        for (size_t i = 0; i < d.args.size(); ++i) {
            Type pt;
            if (ctor)
                pt = resolve(ctor->params[i].type);
            in_ctor_args_ = true;
            check_expr(*d.args[i], pt.kind == Type::Kind::Unknown ? nullptr : &pt);
            in_ctor_args_ = false;
            if (ctor) {
                coerce(*d.args[i], pt, "argument " + std::to_string(i + 1));
                if (fn_ && !d.args[i]->is_const)
                    err(d.args[i]->loc, "E0413", "constructor arguments must be constants");
            }
        }
        Symbol s;
        s.kind = SymKind::Instance;
        s.type = t;
        s.decl = &d;
        define(d.name, d.loc, s);
    }

    void check_parser(Decl& d) {
        push();
        declare_params(d.params, false);
        declare_params(d.ctor_params, false);
        std::set<std::string> states = {"accept", "reject"};
        for (auto& l : d.locals)
            if (l->kind == DeclKind::State)
                states.insert(l->name);
        for (auto& l : d.locals) {
            if (l->kind == DeclKind::State) {
                push();
                for (auto& st : l->body->stmts) {
                    if (st->kind == StmtKind::Transition) {
                        check_transition(*st, states);
                    } else {
                        check_stmt(*st);
                    }
                }
                pop();
            } else if (l->kind == DeclKind::Var) {
                check_var(*l);
            } else if (l->kind == DeclKind::Const) {
                check_const(*l);
            } else if (l->kind == DeclKind::Instance) {
                check_instance(*l, false);
            } else {
                err(l->loc, "E0313", kind_name(*l) + " declarations are not allowed in a parser");
            }
        }
        if (!states.count("start") || std::none_of(d.locals.begin(), d.locals.end(), [](auto& l) {
                return l->kind == DeclKind::State && l->name == "start";
            }))
            err(d.loc, "E0300", "parser '" + d.name + "' has no 'start' state");
        pop();
    }

    void check_transition(Stmt& t, const std::set<std::string>& states) {
        auto check_target = [&](const std::string& n, const Loc& l) {
            if (!states.count(n))
                err(l, "E0300", "unknown parser state '" + n + "'");
        };
        if (!t.rhs) {
            check_target(t.target, t.loc);
            return;
        }
        check_expr(*t.rhs, nullptr);
        for (auto& [ks, target] : t.select_cases) {
            check_keyset_loose(*ks);
            check_target(target.first, target.second);
        }
    }

    void check_keyset_loose(Expr& e) {
        if (e.kind == ExprKind::Default)
            return;
        if (e.kind == ExprKind::List) {
            for (auto& k : e.kids)
                check_keyset_loose(*k);
            return;
        }
        if (e.kind == ExprKind::Mask || e.kind == ExprKind::Range) {
            check_expr(*e.kids[0], nullptr);
            check_expr(*e.kids[1], nullptr);
            return;
        }
        check_expr(e, nullptr);
    }

    // ---------------------------------------------------------------- tables
    void check_table(Decl& t) {
        Symbol s;
        s.kind = SymKind::Table;
        s.type = Type{Type::Kind::Table, 0, &t};
        s.decl = &t;
        for (const auto& [name, loc] : t.other_properties) {
            if (fn_) {
                err(loc, "E0314", "table property '" + name + "' is not supported in a function");
            }
        }
        int lpm = 0;
        for (auto& k : t.keys) {
            check_expr(*k.expr, nullptr);
            const Symbol* mk = lookup(k.match_kind);
            if (!mk || mk->kind != SymKind::MatchKindMember) {
                err(k.match_loc, "E0502", "unknown match kind '" + k.match_kind + "'");
            } else if (fn_ && k.match_kind != "exact" && k.match_kind != "lpm" &&
                       k.match_kind != "ternary") {
                err(k.match_loc, "E0502",
                    "match kind '" + k.match_kind + "' is not supported in a function");
            }
            if (k.match_kind == "lpm" && ++lpm == 2)
                err(k.match_loc, "E0508", "a table can have at most one lpm key");
            const Type& kt = k.expr->type;
            if (fn_ && !kt.is_scalar_int() && kt.kind != Type::Kind::Bool &&
                kt.kind != Type::Kind::Unknown)
                err(k.loc, "E0500", "a table key must be bit<W>, int<W> or bool, not " + kt.str());
            if (kt.kind == Type::Kind::InfInt)
                err(k.loc, "E0500", "a table key needs a width");
        }
        std::set<std::string> listed;
        for (auto& a : t.actions) {
            const Symbol* as = lookup(a.name);
            if (!as || as->kind != SymKind::Action) {
                err(a.loc, "E0300", "unknown action '" + a.name + "'");
                continue;
            }
            a.decl = as->decl;
            if (!listed.insert(a.name).second)
                err(a.loc, "E0301", "action '" + a.name + "' is listed twice");
            if (!a.args.empty())
                refuse(a.loc, "action arguments in a table's actions list");
        }
        if (t.actions.empty())
            err(t.loc, "E0509", "table '" + t.name + "' has no actions");
        if (t.default_action)
            check_action_use(t, *t.default_action, "default action");
        for (auto& e : t.entries) {
            if (e.keys.size() != t.keys.size()) {
                err(e.loc, "E0504",
                    "entry has " + std::to_string(e.keys.size()) + " key values, table '" + t.name +
                        "' has " + std::to_string(t.keys.size()) + " keys");
            } else {
                for (size_t i = 0; i < e.keys.size(); ++i)
                    check_entry_key(t.keys[i], *e.keys[i]);
            }
            check_action_use(t, *e.action, "entry action");
        }
        if (t.size) {
            check_expr(*t.size, nullptr);
            if (!t.size->is_const || !t.size->type.is_integral() ||
                static_cast<int64_t>(t.size->value) <= 0 || t.size->value > (1u << 24))
                err(t.size->loc, "E0507", "table size must be a constant in 1..16777216");
        }
        define(t.name, t.loc, s);
    }

    void check_entry_key(const KeyElement& k, Expr& v) {
        const Type& kt = k.expr->type;
        if (v.kind == ExprKind::Default) {
            if (k.match_kind == "exact")
                err(v.loc, "E0505", "an exact key cannot be a wildcard");
            return;
        }
        if (v.kind == ExprKind::Range) {
            refuse(v.loc, "range keysets");
            return;
        }
        if (v.kind == ExprKind::Mask) {
            if (k.match_kind == "exact") {
                err(v.loc, "E0505", "an exact key cannot have a mask");
                return;
            }
            for (int i = 0; i < 2; ++i) {
                check_expr(*v.kids[i], &kt);
                coerce(*v.kids[i], kt, "key value");
                if (!v.kids[i]->is_const)
                    err(v.kids[i]->loc, "E0413", "entry keys must be constants");
            }
            if (k.match_kind == "lpm" && v.kids[1]->is_const && kt.is_scalar_int()) {
                uint64_t m = v.kids[1]->value & mask_of(kt.width);
                uint64_t inv = ~m & mask_of(kt.width);
                if ((inv & (inv + 1)) != 0)
                    err(v.kids[1]->loc, "E0506", "an lpm mask must be a prefix (ones, then zeros)");
            }
            return;
        }
        check_expr(v, &kt);
        coerce(v, kt, "key value");
        if (!v.is_const && v.type.kind != Type::Kind::Unknown)
            err(v.loc, "E0413", "entry keys must be constants");
    }

    // default_action = a(args) / entry action: the action must be in the table's list and
    // its control-plane arguments must be constants of the parameter types.
    void check_action_use(const Decl& t, Expr& e, const std::string& what) {
        Expr* callee = &e;
        std::vector<Expr*> args;
        if (e.kind == ExprKind::Call) {
            callee = e.kids[0].get();
            for (size_t i = 1; i < e.kids.size(); ++i)
                args.push_back(e.kids[i].get());
        }
        if (callee->kind != ExprKind::Name) {
            err(e.loc, "E0503", what + " must name an action");
            return;
        }
        const ActionRef* ref = nullptr;
        for (const auto& a : t.actions)
            if (a.name == callee->name)
                ref = &a;
        if (!ref || !ref->decl) {
            err(callee->loc, "E0503",
                what + " '" + callee->name + "' is not in the actions of table '" + t.name + "'");
            return;
        }
        callee->decl = ref->decl;
        callee->sym = SymKind::Action;
        e.decl = ref->decl;
        std::vector<const Param*> cp;
        for (const auto& p : ref->decl->params)
            if (p.direction.empty())
                cp.push_back(&p);
        if (args.size() != cp.size()) {
            err(e.loc, "E0305",
                "action '" + callee->name + "' takes " + std::to_string(cp.size()) +
                    " arguments, got " + std::to_string(args.size()));
            return;
        }
        for (size_t i = 0; i < args.size(); ++i) {
            Type pt = resolve(cp[i]->type);
            check_expr(*args[i], &pt);
            coerce(*args[i], pt, "parameter '" + cp[i]->name + "'");
            if (!args[i]->is_const && args[i]->type.kind != Type::Kind::Unknown)
                err(args[i]->loc, "E0413", "action arguments of a table must be constants");
        }
    }

    // ---------------------------------------------------------------- statements
    void check_stmt(Stmt& s) {
        switch (s.kind) {
            case StmtKind::Block:
                push();
                for (auto& c : s.stmts)
                    check_stmt(*c);
                pop();
                break;
            case StmtKind::Empty:
                break;
            case StmtKind::Exit:
                break;
            case StmtKind::Return:
                if (s.rhs)
                    err(s.loc, "E0415", "return with a value is not allowed here");
                break;
            case StmtKind::Var:
                check_var(*s.decl);
                break;
            case StmtKind::Const:
                check_const(*s.decl);
                break;
            case StmtKind::Assign: {
                check_expr(*s.lhs, nullptr);
                if (!s.lhs->is_lvalue && s.lhs->type.kind != Type::Kind::Unknown)
                    err(start_of(*s.lhs), "E0406", "cannot assign to " + describe_target(*s.lhs));
                check_expr(*s.rhs, &s.lhs->type);
                coerce(*s.rhs, s.lhs->type, "assignment");
                if (fn_ && !in_prelude_ && !s.lhs->type.is_scalar_int() &&
                    s.lhs->type.kind != Type::Kind::Bool && s.lhs->type.kind != Type::Kind::Unknown)
                    refuse(start_of(*s.lhs), "assigning a whole " + s.lhs->type.str());
                break;
            }
            case StmtKind::Call:
                check_expr(*s.rhs, nullptr);
                if (s.rhs->kind != ExprKind::Call)
                    err(s.rhs->loc, "E0200", "an expression statement must be a call");
                break;
            case StmtKind::If:
                check_expr(*s.rhs, nullptr);
                if (s.rhs->type.kind != Type::Kind::Bool && s.rhs->type.kind != Type::Kind::Unknown)
                    err(start_of(*s.rhs), "E0405",
                        "condition must be bool, not " + s.rhs->type.str());
                check_stmt(*s.then_s);
                if (s.else_s)
                    check_stmt(*s.else_s);
                break;
            case StmtKind::Switch:
                check_switch(s);
                break;
            case StmtKind::Transition:
                err(s.loc, "E0200", "transition is only allowed in a parser state");
                break;
        }
    }

    std::string describe_target(const Expr& e) {
        if (e.sym == SymKind::Const)
            return "constant '" + e.name + "'";
        if (e.sym == SymKind::ActionParam)
            return "action parameter '" + e.name + "'";
        if (e.sym == SymKind::Param)
            return "'in' parameter '" + e.name + "'";
        return "this expression";
    }

    void check_switch(Stmt& s) {
        check_expr(*s.rhs, nullptr);
        const Decl* table = nullptr;
        if (s.rhs->type.kind == Type::Kind::Action && s.rhs->sym == SymKind::Method) {
            table = s.rhs->decl;
        } else if (s.rhs->type.kind != Type::Kind::Unknown) {
            if (fn_ || !s.rhs->type.is_integral()) {
                err(start_of(*s.rhs), "E0416", "switch needs table.apply().action_run");
                return;
            }
        }
        std::set<std::string> seen;
        for (size_t i = 0; i < s.cases.size(); ++i) {
            auto& c = s.cases[i];
            for (auto& [label, loc] : c.labels) {
                if (!seen.insert(label).second)
                    err(loc, "E0301", "duplicate switch label '" + label + "'");
                if (label == "default") {
                    if (i + 1 != s.cases.size())
                        err(loc, "E0417", "the default label must be last");
                    continue;
                }
                if (table) {
                    bool found = false;
                    for (const auto& a : table->actions)
                        found |= a.name == label;
                    if (!found)
                        err(loc, "E0501",
                            "'" + label + "' is not an action of table '" + table->name + "'");
                }
            }
            if (c.body)
                check_stmt(*c.body);
            if (!c.body && i + 1 == s.cases.size())
                err(c.loc, "E0417", "the last switch label needs a block");
        }
    }

    // ---------------------------------------------------------------- expressions
    // Gives an unsized literal the type `to` (checking it fits), or reports a mismatch.
    void coerce(Expr& e, const Type& to, const std::string& context) {
        Type& from = e.type;
        if (from.kind == Type::Kind::Unknown || to.kind == Type::Kind::Unknown)
            return;
        if (to.kind == Type::Kind::Generic || from.kind == Type::Kind::Generic)
            return;
        if (from.kind == Type::Kind::InfInt && to.kind == Type::Kind::InfInt)
            return;
        if (from.kind == Type::Kind::InfInt && to.is_scalar_int()) {
            if (e.is_const) {
                int64_t v = static_cast<int64_t>(e.value);
                bool fits;
                if (to.kind == Type::Kind::Bit) {
                    fits =
                        v >= 0 && (to.width >= 64 || static_cast<uint64_t>(v) <= mask_of(to.width));
                } else {
                    fits = to.width >= 64 || (v >= -(int64_t(1) << (to.width - 1)) &&
                                              v < (int64_t(1) << (to.width - 1)));
                }
                if (!fits) {
                    err(e.loc, "E0402",
                        "value " + std::to_string(v) + " does not fit in " + to.str());
                }
                e.value = static_cast<uint64_t>(v) & mask_of(to.width);
            }
            set_literal_type(e, to);
            return;
        }
        if (!from.same(to)) {
            err(start_of(e), "E0400",
                "type mismatch in " + context + ": expected " + to.str() + ", got " + from.str());
        }
    }

    // Pushes a width down into a constant expression tree of unsized literals.
    void set_literal_type(Expr& e, const Type& t) {
        e.type = t;
        if (e.is_const)
            e.value &= mask_of(t.width);
    }

    void check_expr(Expr& e, const Type* expected) {
        switch (e.kind) {
            case ExprKind::Int: {
                e.is_const = true;
                e.value = e.value;
                if (e.lit_width < 0) {
                    e.type = Type{Type::Kind::InfInt};
                } else {
                    if (e.lit_width == 0 || (fn_ && !in_prelude_ && e.lit_width > 64)) {
                        err(e.loc, "E0408", "literal width must be in 1..64");
                        e.type = Type{};
                        return;
                    }
                    e.type = e.lit_signed ? Type::sint(e.lit_width) : Type::bit(e.lit_width);
                    bool fits = e.lit_signed
                                    ? (e.lit_width >= 64 || e.value < (1ULL << (e.lit_width - 1)))
                                    : (e.lit_width >= 64 || e.value <= mask_of(e.lit_width));
                    if (!fits)
                        err(e.loc, "E0402",
                            "value " + std::to_string(e.value) + " does not fit in " +
                                e.type.str());
                    e.value &= mask_of(e.lit_width);
                }
                return;
            }
            case ExprKind::Bool:
                e.type = Type::boolean();
                e.is_const = true;
                e.value = e.bool_value;
                return;
            case ExprKind::String:
                e.type = Type{Type::Kind::String};
                return;
            case ExprKind::Name:
                return check_name(e);
            case ExprKind::Member:
                return check_member(e);
            case ExprKind::Index:
                if (!refuse(e.loc, "header stack indexing")) {
                    check_expr(*e.kids[0], nullptr);
                    check_expr(*e.kids[1], nullptr);
                    if (e.kids[0]->type.kind == Type::Kind::Stack && !e.kids[0]->type.args.empty())
                        e.type = e.kids[0]->type.args[0];
                    e.is_lvalue = e.kids[0]->is_lvalue;
                }
                return;
            case ExprKind::Slice:
                return check_slice(e);
            case ExprKind::Unary:
                return check_unary(e, expected);
            case ExprKind::Binary:
                return check_binary(e, expected);
            case ExprKind::Ternary: {
                check_expr(*e.kids[0], nullptr);
                if (e.kids[0]->type.kind != Type::Kind::Bool &&
                    e.kids[0]->type.kind != Type::Kind::Unknown)
                    err(e.kids[0]->loc, "E0405", "condition must be bool");
                check_expr(*e.kids[1], expected);
                check_expr(*e.kids[2], expected);
                unify_pair(e, *e.kids[1], *e.kids[2]);
                e.type = e.kids[1]->type;
                if (e.type.kind == Type::Kind::InfInt) {
                    if (expected && expected->is_scalar_int()) {
                        coerce(*e.kids[1], *expected, "?:");
                        coerce(*e.kids[2], *expected, "?:");
                        e.type = *expected;
                    } else {
                        err(e.loc, "E0401", "?: over unsized integers needs a width");
                    }
                }
                if (e.kids[0]->is_const && e.kids[1]->is_const && e.kids[2]->is_const) {
                    e.is_const = true;
                    e.value = e.kids[0]->value ? e.kids[1]->value : e.kids[2]->value;
                }
                return;
            }
            case ExprKind::Cast:
                return check_cast(e);
            case ExprKind::Call:
                return check_call(e);
            case ExprKind::Mask:
            case ExprKind::Range:
            case ExprKind::Default:
                err(e.loc, "E0200", "a keyset is only allowed in table entries and select cases");
                return;
            case ExprKind::List:
                if (!refuse(e.loc, "list expressions")) {
                    for (auto& k : e.kids)
                        check_expr(*k, nullptr);
                    e.type = Type{Type::Kind::Tuple};
                }
                return;
        }
    }

    void check_name(Expr& e) {
        const Symbol* s = e.dot_prefix ? lookup_global(e.name) : lookup(e.name);
        if (!s) {
            if (e.name == "error") {
                e.type = Type{Type::Kind::TypeName};
                e.sym = SymKind::Type;
                return;
            }
            err(e.loc, "E0300", "unknown name '" + e.name + "'");
            return;
        }
        e.sym = s->kind;
        e.decl = s->decl;
        e.type = s->type;
        switch (s->kind) {
            case SymKind::Const:
                e.is_const = s->is_const;
                e.value = s->value;
                break;
            case SymKind::Local:
                e.is_lvalue = true;
                break;
            case SymKind::Param:
                e.is_lvalue = s->direction == "out" || s->direction == "inout";
                break;
            case SymKind::Type: {
                Type tn{Type::Kind::TypeName, 0, s->type.decl};
                tn.args = {s->type};
                e.type = tn;
                break;
            }
            default:
                break;
        }
    }

    const Field* find_field(const Decl* d, const std::string& name) {
        if (!d)
            return nullptr;
        for (const auto& f : d->fields)
            if (f.name == name)
                return &f;
        return nullptr;
    }

    void check_member(Expr& e) {
        Expr& base = *e.kids[0];
        check_expr(base, nullptr);
        const Type& bt = base.type;
        switch (bt.kind) {
            case Type::Kind::Unknown:
                return;
            case Type::Kind::Header:
            case Type::Kind::Struct:
            case Type::Kind::HeaderUnion: {
                if (bt.kind != Type::Kind::Struct &&
                    (e.name == "isValid" || e.name == "setValid" || e.name == "setInvalid")) {
                    e.sym = SymKind::Method;
                    e.decl = bt.decl;
                    return;
                }
                const Field* f = find_field(bt.decl, e.name);
                if (!f) {
                    err(e.loc, "E0303", "'" + bt.decl->name + "' has no field '" + e.name + "'");
                    return;
                }
                if (fn_ && !in_prelude_ && bt.decl->name == "standard_metadata_t" &&
                    !kFunctionStandardMetadata.count(e.name)) {
                    err(e.loc, "E0314",
                        "standard_metadata." + e.name +
                            " is not available to a function (it has ingress_port, egress_spec, "
                            "egress_port, packet_length, ingress_global_timestamp)");
                    return;
                }
                bool was = in_prelude_;
                in_prelude_ = true;  // the field's type was checked with its declaration
                e.type = resolve(f->type);
                in_prelude_ = was;
                e.sym = SymKind::Field;
                e.is_lvalue = base.is_lvalue;
                return;
            }
            case Type::Kind::Stack: {
                // Whole programs: hdr.stack.next / .last (elements), .size / .lastIndex.
                if (e.name == "next" || e.name == "last") {
                    if (!bt.args.empty())
                        e.type = bt.args[0];
                    e.sym = SymKind::Field;
                    e.is_lvalue = base.is_lvalue;
                } else if (e.name == "size" || e.name == "lastIndex" || e.name == "nextIndex") {
                    e.type = Type::bit(32);
                    e.sym = SymKind::Field;
                } else if (e.name == "push_front" || e.name == "pop_front") {
                    e.sym = SymKind::Method;
                    e.decl = bt.decl;
                } else {
                    err(e.loc, "E0303", "a header stack has no member '" + e.name + "'");
                }
                return;
            }
            case Type::Kind::TypeName: {
                const Decl* d = bt.decl;
                if (base.kind == ExprKind::Name && base.name == "error" && !d) {
                    if (fn_ && !in_prelude_) {
                        refuse(start_of(e), "error values");
                        return;
                    }
                    if (!errors_.count(e.name))
                        err(e.loc, "E0303", "unknown error '" + e.name + "'");
                    e.type = Type{Type::Kind::ErrorType};
                    e.sym = SymKind::ErrorMember;
                    e.is_const = true;
                    return;
                }
                if (d && d->kind == DeclKind::Enum) {
                    if (fn_ && !in_prelude_ && !in_ctor_args_) {
                        refuse(start_of(e), "enum values outside constructor arguments");
                        return;
                    }
                    for (size_t i = 0; i < d->members.size(); ++i) {
                        if (d->members[i].first == e.name) {
                            e.type = Type{Type::Kind::Enum, 0, d};
                            e.sym = SymKind::EnumMember;
                            e.is_const = true;
                            e.value = i;
                            return;
                        }
                    }
                    err(e.loc, "E0303", "enum '" + d->name + "' has no member '" + e.name + "'");
                    return;
                }
                err(e.loc, "E0303", "type '" + bt.str() + "' has no member '" + e.name + "'");
                return;
            }
            case Type::Kind::Table:
                if (base.kind == ExprKind::Call && base.name == "apply_result") {
                    // t.apply().hit / .miss / .action_run
                    e.decl = bt.decl;
                    e.sym = SymKind::Method;
                    if (e.name == "hit" || e.name == "miss") {
                        e.type = Type::boolean();
                    } else if (e.name == "action_run") {
                        e.type = Type{Type::Kind::Action, 0, bt.decl};
                    } else {
                        err(e.loc, "E0303", "a table apply result has no member '" + e.name + "'");
                        e.sym = SymKind::None;
                    }
                    return;
                }
                e.sym = SymKind::Method;
                e.decl = bt.decl;
                return;
            case Type::Kind::Extern:
            case Type::Kind::Control:
            case Type::Kind::Parser:
                e.sym = SymKind::Method;
                e.decl = bt.decl;
                return;
            default:
                err(e.loc, "E0303", "'" + bt.str() + "' has no member '" + e.name + "'");
        }
    }

    void check_slice(Expr& e) {
        check_expr(*e.kids[0], nullptr);
        check_expr(*e.kids[1], nullptr);
        check_expr(*e.kids[2], nullptr);
        const Type& bt = e.kids[0]->type;
        if (bt.kind == Type::Kind::Unknown)
            return;
        if (!bt.is_scalar_int()) {
            err(e.loc, "E0401", "slices need bit<W> or int<W>, not " + bt.str());
            return;
        }
        if (!e.kids[1]->is_const || !e.kids[2]->is_const) {
            err(e.loc, "E0404", "slice bounds must be constants");
            return;
        }
        int64_t h = static_cast<int64_t>(e.kids[1]->value);
        int64_t l = static_cast<int64_t>(e.kids[2]->value);
        if (l < 0 || h < l || h >= bt.width) {
            err(e.loc, "E0404",
                "slice [" + std::to_string(h) + ":" + std::to_string(l) + "] is out of range for " +
                    bt.str());
            return;
        }
        e.type = Type::bit(static_cast<int>(h - l + 1));
        e.is_lvalue = e.kids[0]->is_lvalue;
        if (e.kids[0]->is_const) {
            e.is_const = true;
            e.value = (e.kids[0]->value >> l) & mask_of(static_cast<int>(h - l + 1));
        }
    }

    void check_unary(Expr& e, const Type* expected) {
        Expr& a = *e.kids[0];
        check_expr(a, expected);
        const Type& t = a.type;
        if (t.kind == Type::Kind::Unknown)
            return;
        if (e.name == "!") {
            if (t.kind != Type::Kind::Bool) {
                err(e.loc, "E0401", "'!' needs bool, not " + t.str());
                return;
            }
            e.type = t;
            if (a.is_const) {
                e.is_const = true;
                e.value = !a.value;
            }
            return;
        }
        if (!t.is_integral()) {
            err(e.loc, "E0401", "'" + e.name + "' needs an integer, not " + t.str());
            return;
        }
        if (e.name == "~" && t.kind == Type::Kind::InfInt) {
            if (expected && expected->is_scalar_int()) {
                coerce(a, *expected, "operand of '~'");
            } else {
                err(e.loc, "E0401", "'~' on an unsized integer needs a width");
                return;
            }
        }
        e.type = a.type;
        if (a.is_const) {
            e.is_const = true;
            uint64_t v = a.value;
            if (e.name == "-")
                v = 0 - v;
            if (e.name == "~")
                v = ~v;
            e.value = e.type.kind == Type::Kind::InfInt ? v : (v & mask_of(e.type.width));
        }
    }

    // Makes the operand types of a binary operator agree (literals take the other's type).
    bool unify_pair(Expr& op, Expr& a, Expr& b) {
        Type& ta = a.type;
        Type& tb = b.type;
        if (ta.kind == Type::Kind::Unknown || tb.kind == Type::Kind::Unknown)
            return false;
        if (ta.kind == Type::Kind::InfInt && tb.kind == Type::Kind::InfInt)
            return true;
        if (ta.kind == Type::Kind::InfInt && tb.is_scalar_int()) {
            coerce(a, tb, "'" + op.name + "'");
            return true;
        }
        if (tb.kind == Type::Kind::InfInt && ta.is_scalar_int()) {
            coerce(b, ta, "'" + op.name + "'");
            return true;
        }
        if (!ta.same(tb)) {
            bool width = ta.is_scalar_int() && tb.is_scalar_int() && ta.kind == tb.kind;
            err(op.loc, "E0400",
                std::string(width ? "width mismatch" : "type mismatch") + " in '" + op.name +
                    "': " + ta.str() + " and " + tb.str());
            return false;
        }
        return true;
    }

    void check_binary(Expr& e, const Type* expected) {
        Expr& a = *e.kids[0];
        Expr& b = *e.kids[1];
        const std::string& op = e.name;
        bool arith = op == "+" || op == "-" || op == "*" || op == "/" || op == "%" || op == "|+|" ||
                     op == "|-|" || op == "&" || op == "|" || op == "^";
        bool shift = op == "<<" || op == ">>";
        bool cmp = op == "==" || op == "!=";
        bool order = op == "<" || op == ">" || op == "<=" || op == ">=";
        bool logic = op == "&&" || op == "||";
        check_expr(a, arith || shift ? expected : nullptr);
        check_expr(b, arith ? expected : nullptr);
        if (a.type.kind == Type::Kind::Unknown || b.type.kind == Type::Kind::Unknown)
            return;

        if (logic) {
            if (a.type.kind != Type::Kind::Bool || b.type.kind != Type::Kind::Bool) {
                err(e.loc, "E0401", "'" + op + "' needs bool operands");
                return;
            }
            e.type = Type::boolean();
            fold(e);
            return;
        }
        if (op == "++") {
            for (Expr* x : {&a, &b}) {
                if (!x->type.is_scalar_int()) {
                    err(x->loc, "E0401",
                        "'++' needs bit<W> or int<W> operands, not " + x->type.str());
                    return;
                }
            }
            int w = a.type.width + b.type.width;
            if (fn_ && !in_prelude_ && w > kMaxFunctionWidth) {
                err(e.loc, "E0409",
                    "concatenation result bit<" + std::to_string(w) + "> is wider than 64 bits");
                return;
            }
            e.type = a.type.kind == Type::Kind::Int ? Type::sint(w) : Type::bit(w);
            fold(e);
            return;
        }
        if (shift) {
            if (!a.type.is_integral() || !b.type.is_integral()) {
                err(e.loc, "E0401", "'" + op + "' needs integer operands");
                return;
            }
            if (b.type.kind == Type::Kind::Int ||
                (b.type.kind == Type::Kind::InfInt && b.is_const && int64_t(b.value) < 0)) {
                err(b.loc, "E0407", "a shift amount must be unsigned");
                return;
            }
            if (a.type.kind == Type::Kind::InfInt && !b.is_const) {
                if (expected && expected->is_scalar_int()) {
                    coerce(a, *expected, "'" + op + "'");
                } else {
                    err(e.loc, "E0407",
                        "shifting an unsized integer by a non-constant needs a width");
                    return;
                }
            }
            e.type = a.type;
            fold(e);
            return;
        }
        if (cmp) {
            if (!unify_pair(e, a, b))
                return;
            if (fn_ && !in_prelude_ && !a.type.is_integral() && a.type.kind != Type::Kind::Bool) {
                refuse(e.loc, "comparing values of type " + a.type.str());
                return;
            }
            e.type = Type::boolean();
            fold(e);
            return;
        }
        if (!a.type.is_integral() || !b.type.is_integral()) {
            err(e.loc, "E0401",
                "'" + op + "' needs integer operands, not " + a.type.str() + " and " +
                    b.type.str());
            return;
        }
        if (!unify_pair(e, a, b))
            return;
        if (order) {
            e.type = Type::boolean();
            fold(e);
            return;
        }
        e.type = a.type;
        if ((op == "/" || op == "%") && e.type.kind == Type::Kind::Int) {
            err(e.loc, "E0410", "'" + op + "' on signed int<W> is not supported");
            return;
        }
        if ((op == "|+|" || op == "|-|") && e.type.kind == Type::Kind::InfInt) {
            err(e.loc, "E0401", "saturating '" + op + "' needs a width");
            return;
        }
        if ((op == "/" || op == "%") && b.is_const && b.value == 0) {
            err(b.loc, "E0418", "division by zero");
            return;
        }
        fold(e);
    }

    // Constant folding with the same semantics as the back end.
    void fold(Expr& e) {
        Expr& a = *e.kids[0];
        Expr& b = *e.kids[1];
        if (!a.is_const || !b.is_const)
            return;
        const std::string& op = e.name;
        uint64_t x = a.value, y = b.value, r = 0;
        const Type& t = a.type;
        bool inf = t.kind == Type::Kind::InfInt;
        bool sgn = t.kind == Type::Kind::Int || inf;
        int w = inf ? 64 : t.width;
        int64_t sx = inf ? int64_t(x) : sext(x, w), sy = inf ? int64_t(y) : sext(y, w);
        if (op == "+")
            r = x + y;
        else if (op == "-")
            r = x - y;
        else if (op == "*")
            r = x * y;
        else if (op == "/")
            r = inf ? uint64_t(sx / sy) : x / y;
        else if (op == "%")
            r = inf ? uint64_t(sx % sy) : x % y;
        else if (op == "&")
            r = x & y;
        else if (op == "|")
            r = x | y;
        else if (op == "^")
            r = x ^ y;
        else if (op == "<<")
            r = y >= uint64_t(w) ? 0 : x << y;
        else if (op == ">>")
            r = y >= uint64_t(w) ? (sgn && sx < 0 ? ~0ULL : 0) : (sgn ? uint64_t(sx >> y) : x >> y);
        else if (op == "==")
            r = x == y;
        else if (op == "!=")
            r = x != y;
        else if (op == "<")
            r = sgn ? sx < sy : x < y;
        else if (op == ">")
            r = sgn ? sx > sy : x > y;
        else if (op == "<=")
            r = sgn ? sx <= sy : x <= y;
        else if (op == ">=")
            r = sgn ? sx >= sy : x >= y;
        else if (op == "&&")
            r = x && y;
        else if (op == "||")
            r = x || y;
        else if (op == "++")
            r = (x << b.type.width) | y;
        else
            return;  // saturating: not folded, evaluated at run time
        e.is_const = true;
        e.value = e.type.is_scalar_int() ? (r & mask_of(e.type.width)) : r;
    }

    void check_cast(Expr& e) {
        Type to = resolve(e.cast_type);
        check_expr(*e.kids[0], &to);
        const Type& from = e.kids[0]->type;
        if (to.kind == Type::Kind::Unknown || from.kind == Type::Kind::Unknown)
            return;
        bool ok = false;
        if (from.kind == Type::Kind::InfInt && to.is_integral())
            ok = true;
        if (from.kind == Type::Kind::InfInt && to.kind == Type::Kind::Bool)
            ok = e.kids[0]->is_const && e.kids[0]->value <= 1;
        if (from.kind == to.kind && from.is_scalar_int())
            ok = true;  // resize, same sign
        if (from.is_scalar_int() && to.is_scalar_int() && from.width == to.width)
            ok = true;
        if (from.kind == Type::Kind::Bool && to.kind == Type::Kind::Bit && to.width == 1)
            ok = true;
        if (to.kind == Type::Kind::Bool && from.kind == Type::Kind::Bit && from.width == 1)
            ok = true;
        if (from.same(to))
            ok = true;
        if (!ok) {
            err(e.loc, "E0403", "cannot cast " + from.str() + " to " + to.str());
            return;
        }
        e.type = to;
        if (e.kids[0]->is_const) {
            e.is_const = true;
            uint64_t v = e.kids[0]->value;
            if (from.kind == Type::Kind::Int && to.kind == Type::Kind::Int && to.width > from.width)
                v = uint64_t(sext(v, from.width));
            e.value = to.is_scalar_int() ? v & mask_of(to.width) : (v != 0);
        }
    }

    // Binds the parameters of a method/function call to its arguments.
    void check_args(Expr& call, const std::vector<Param>& params, const std::vector<Type>& bind,
                    const std::vector<std::string>& type_params, const std::string& what) {
        size_t nargs = call.kids.size() - 1;
        size_t required = 0;
        for (const auto& p : params)
            if (!p.default_value)
                ++required;
        if (nargs < required || nargs > params.size()) {
            err(call.loc, "E0305",
                what + " takes " + std::to_string(params.size()) + " arguments, got " +
                    std::to_string(nargs));
            for (size_t i = 1; i < call.kids.size(); ++i)
                check_expr(*call.kids[i], nullptr);
            return;
        }
        for (size_t i = 0; i < nargs; ++i) {
            Expr& a = *call.kids[i + 1];
            Type pt = param_type(params[i].type, bind, type_params);
            if (a.kind == ExprKind::Default) {
                a.type = pt;
                continue;
            }
            check_expr(a, pt.kind == Type::Kind::Unknown || pt.kind == Type::Kind::Generic ? nullptr
                                                                                           : &pt);
            if (pt.kind == Type::Kind::Generic) {
                if (a.type.kind == Type::Kind::InfInt && fn_)
                    err(a.loc, "E0401", "an unsized integer argument needs a width here");
            } else {
                coerce(a, pt, "argument '" + params[i].name + "' of " + what);
            }
            const std::string& dir = params[i].direction;
            if ((dir == "out" || dir == "inout") && !a.is_lvalue &&
                a.type.kind != Type::Kind::Unknown)
                err(start_of(a), "E0406",
                    "argument '" + params[i].name + "' of " + what + " is " + dir +
                        " and needs an assignable expression");
        }
    }

    Type param_type(const TypeRef& t, const std::vector<Type>& bind,
                    const std::vector<std::string>& type_params) {
        if (t.kind == TypeRef::Kind::Named) {
            for (size_t i = 0; i < type_params.size(); ++i) {
                if (type_params[i] == t.name)
                    return i < bind.size() ? bind[i] : Type{Type::Kind::Generic};
            }
            const Symbol* s = lookup(t.name);
            if (s && s->kind == SymKind::Type && s->type.kind == Type::Kind::Generic)
                return s->type;
        }
        bool was = in_prelude_;
        in_prelude_ = true;
        Type r = resolve(t);
        in_prelude_ = was;
        return r;
    }

    void check_call(Expr& e) {
        Expr& callee = *e.kids[0];
        if (callee.kind == ExprKind::Member) {
            check_expr(*callee.kids[0], nullptr);
            const Type& base_t = callee.kids[0]->type;
            if ((base_t.kind == Type::Kind::Header || base_t.kind == Type::Kind::Struct) &&
                callee.name != "isValid" && callee.name != "setValid" &&
                callee.name != "setInvalid") {
                err(callee.loc, "E0304",
                    "'" + base_t.str() + "' has no method '" + callee.name + "'");
                return;
            }
            check_expr(callee, nullptr);
            if (callee.sym != SymKind::Method) {
                if (callee.type.kind != Type::Kind::Unknown)
                    err(callee.loc, "E0304", "'" + callee.name + "' is not a method");
                return;
            }
            const Type& bt = callee.kids[0]->type;
            const std::string& m = callee.name;
            e.sym = SymKind::Method;
            if (bt.kind == Type::Kind::Header || bt.kind == Type::Kind::HeaderUnion) {
                check_args(e, {}, {}, {}, m + "()");
                if (m == "isValid") {
                    e.type = Type::boolean();
                } else {
                    e.type = Type{Type::Kind::Void};
                    if (!callee.kids[0]->is_lvalue)
                        err(e.loc, "E0406", m + "() needs an assignable header");
                }
                e.decl = bt.decl;
                return;
            }
            if (bt.kind == Type::Kind::Stack) {
                for (size_t i = 1; i < e.kids.size(); ++i)
                    check_expr(*e.kids[i], nullptr);
                e.type = Type{Type::Kind::Void};
                return;
            }
            if (bt.kind == Type::Kind::Table) {
                if (m != "apply") {
                    err(callee.loc, "E0304", "tables have only apply(), not '" + m + "'");
                    return;
                }
                check_args(e, {}, {}, {}, "apply()");
                // The apply result: a struct-like value with hit, miss, action_run.
                e.type = Type{Type::Kind::Table, 0, bt.decl};
                e.decl = bt.decl;
                e.name = "apply_result";
                return;
            }
            if (bt.kind == Type::Kind::Control || bt.kind == Type::Kind::Parser) {
                if (fn_ && !in_prelude_)
                    refuse(callee.loc, "applying other controls");
                for (size_t i = 1; i < e.kids.size(); ++i)
                    check_expr(*e.kids[i], nullptr);
                e.type = Type{Type::Kind::Void};
                return;
            }
            if (bt.kind == Type::Kind::Extern && bt.decl) {
                const Decl* method = nullptr;
                for (const auto& md : bt.decl->locals)
                    if (md->name == m && md->name != bt.decl->name)
                        method = md.get();
                if (!method) {
                    err(callee.loc, "E0304", "'" + bt.decl->name + "' has no method '" + m + "'");
                    return;
                }
                // Type parameters: the object's (register<T>), then the method's (extract<T>).
                std::vector<std::string> tps = bt.decl->type_params;
                tps.insert(tps.end(), method->type_params.begin(), method->type_params.end());
                std::vector<Type> bind = bt.args;
                bind.resize(bt.decl->type_params.size(), Type{Type::Kind::Generic});
                for (const auto& ta : e.type_args)
                    bind.push_back(resolve(ta));
                check_args(e, method->params, bind, tps, bt.decl->name + "." + m + "()");
                e.decl = method;
                e.type = param_type(method->type, bind, tps);
                return;
            }
            err(callee.loc, "E0304", "'" + m + "' cannot be called on " + bt.str());
            return;
        }
        // Member of an apply result: t.apply().hit is parsed as Member(Call), not a call.
        if (callee.kind != ExprKind::Name) {
            check_expr(callee, nullptr);
            err(e.loc, "E0304", "this expression cannot be called");
            return;
        }
        check_expr(callee, nullptr);
        if (callee.type.kind == Type::Kind::Unknown && callee.sym == SymKind::None) {
            for (size_t i = 1; i < e.kids.size(); ++i)
                check_expr(*e.kids[i], nullptr);
            return;
        }
        if (callee.sym == SymKind::Action) {
            if (!in_action_ || !fn_ || in_prelude_) {
                // direct action call from apply (or from another action)
            }
            check_args(e, callee.decl->params, {}, {}, "action '" + callee.name + "'");
            e.sym = SymKind::Action;
            e.decl = callee.decl;
            e.type = Type{Type::Kind::Void};
            return;
        }
        if (callee.sym == SymKind::ExternFunction) {
            if (fn_ && !in_prelude_ && callee.name != "mark_to_drop") {
                err(callee.loc, "E0314",
                    "extern '" + callee.name + "' is not supported in a function");
                return;
            }
            std::vector<Type> bind;
            for (const auto& ta : e.type_args)
                bind.push_back(resolve(ta));
            check_args(e, callee.decl->params, bind, callee.decl->type_params,
                       "'" + callee.name + "'");
            e.sym = SymKind::ExternFunction;
            e.decl = callee.decl;
            e.type = param_type(callee.decl->type, bind, callee.decl->type_params);
            return;
        }
        if (callee.sym == SymKind::Type) {
            // Constructor call in an instantiation argument (whole programs).
            for (size_t i = 1; i < e.kids.size(); ++i)
                check_expr(*e.kids[i], nullptr);
            e.type = callee.type.args.empty() ? Type{} : callee.type.args[0];
            return;
        }
        err(callee.loc, "E0304", "'" + callee.name + "' is not callable");
    }

    Program& prog_;
    Diagnostics& diags_;
    bool fn_;
    bool in_prelude_ = false;
    bool in_action_ = false;
    bool in_ctor_args_ = false;
    std::vector<std::map<std::string, Symbol>> scopes_;
    std::set<std::string> errors_;
};

std::string read_file_or_throw(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in)
        throw InputError(SourceMark{p.string()}, "cannot read P4 file");
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

fs::path default_p4_include_dir() {
    const char* root = std::getenv("CHIMA_ROOT");
    fs::path base = root && *root ? fs::path(root) : fs::path(CHIMA_DEFAULT_ROOT);
    return base / "p4" / "include";
}

namespace {
ParseOptions parse_options(const FrontEndOptions& o, bool function_mode) {
    ParseOptions po;
    fs::path inc = o.include_dir.empty() ? default_p4_include_dir() : o.include_dir;
    po.include_dirs.push_back(inc);
    if (function_mode)
        po.prelude = {inc / "core.p4", inc / "v1model.p4", inc / "headers.p4"};
    return po;
}
}  // namespace

CheckedFunction check_function(const std::string& text, const std::string& file,
                               const std::string& control_name, const FrontEndOptions& options,
                               Diagnostics& diags) {
    CheckedFunction out;
    out.program = std::make_unique<Program>();
    size_t before = diags.list().size();
    parse_into(*out.program, text, file, parse_options(options, true), diags);
    Checker(*out.program, diags, true).run();
    const Decl* found = nullptr;
    int controls = 0;
    for (const auto& d : out.program->decls) {
        if (d->from_prelude || d->kind != DeclKind::Control)
            continue;
        ++controls;
        if (control_name.empty() || d->name == control_name)
            found = d.get();
    }
    if (!control_name.empty() && !found) {
        diags.error(
            Loc{out.program->sources->names.empty() ? nullptr : &out.program->sources->names.back(),
                1, 1},
            "E0310", "no control named '" + control_name + "' in this file");
    } else if (control_name.empty() && controls != 1) {
        Loc where{&out.program->sources->names.back(), 1, 1};
        int seen = 0;
        for (const auto& d : out.program->decls)
            if (!d->from_prelude && d->kind == DeclKind::Control && ++seen == 2)
                where = d->loc;
        diags.error(where, "E0310",
                    "a function file must hold exactly one control (found " +
                        std::to_string(controls) + ")");
        found = nullptr;
    }
    if (diags.list().size() == before)
        out.control = found;
    return out;
}

std::unique_ptr<Program> check_program(const std::string& text, const std::string& file,
                                       const FrontEndOptions& options, Diagnostics& diags) {
    auto prog = std::make_unique<Program>();
    parse_into(*prog, text, file, parse_options(options, false), diags);
    Checker(*prog, diags, false).run();
    return prog;
}

CheckedFunction check_function_file(const fs::path& file, const std::string& control_name,
                                    const FrontEndOptions& options) {
    Diagnostics diags;
    auto r = check_function(read_file_or_throw(file), file.string(), control_name, options, diags);
    diags.throw_if_any();
    return r;
}

}  // namespace chima::p4
