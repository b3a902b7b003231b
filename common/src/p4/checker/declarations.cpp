// Top-level and control-local declarations: constants, variables, actions, controls
// and instances.
#include "checker_impl.hpp"
#include "chima/p4/limits.hpp"

namespace chima::p4::checking {

void Checker::declare_global(Decl& d) {
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

void Checker::check_global(Decl& d) {
    subset_.set_in_prelude(d.from_prelude);
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
            subset_.type_declaration(d);
            for (auto& f : d.fields) {
                Type ft = resolve(f.type);
                if (d.kind == DeclKind::Header && !ft.is_scalar_int() &&
                    ft.kind != Type::Kind::Varbit && ft.kind != Type::Kind::Unknown &&
                    ft.kind != Type::Kind::Bool)
                    err(f.loc, DiagCode::TypeMismatch,
                        "header fields must be bit<W>, int<W> or varbit");
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
            subset_.top_level_declaration(d, kind_name(d));
            break;
        case DeclKind::Parser:
            if (!subset_.parser_block(d))
                check_parser(d);
            break;
        case DeclKind::Instance:
            if (!subset_.package_instance(d))
                check_instance(d, true);
            break;
        case DeclKind::Action:
            check_action(d);
            break;
        case DeclKind::Control:
            // In function mode the prelude's controls are declarations only (the
            // function is the file's own control).
            if (!(d.from_prelude && subset_.active()))
                check_control(d);
            break;
        case DeclKind::Table:
        case DeclKind::Var:
            err(d.loc, DiagCode::DeclarationNotAllowed,
                kind_name(d) + " declarations are only allowed inside a control");
            break;
        default:
            break;
    }
    subset_.set_in_prelude(false);
}

std::string kind_name(const Decl& d) {
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

void Checker::check_const(Decl& d) {
    Type t = resolve(d.type, true);
    check_expr(*d.init, &t);
    coerce(*d.init, t, "constant '" + d.name + "'");
    if (!d.init->is_const && d.init->type.kind != Type::Kind::Unknown)
        err(d.init->loc, DiagCode::NotConstant,
            "the value of constant '" + d.name + "' is not a compile-time constant");
    Symbol s;
    s.kind = SymKind::Const;
    s.type = t;
    s.decl = &d;
    s.is_const = d.init->is_const;
    s.value = d.init->value;
    define(d.name, d.loc, s);
}

void Checker::declare_params(std::vector<Param>& params, bool action) {
    for (auto& p : params) {
        Symbol s;
        s.kind = action && p.direction.empty() ? SymKind::ActionParam : SymKind::Param;
        s.type = resolve(p.type);
        p.resolved = s.type;
        s.direction = p.direction;
        define(p.name, p.loc, s);
    }
}

void Checker::check_action(Decl& d) {
    push();
    declare_params(d.params, true);
    subset_.action_parameters(d);
    check_stmt(*d.body);
    pop();
}

void Checker::check_control(Decl& d) {
    push();
    subset_.control_signature(d);
    declare_params(d.params, false);
    declare_params(d.ctor_params, false);
    subset_.control_constructor_parameters(d);
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
                err(l->loc, DiagCode::DeclarationNotAllowed,
                    kind_name(*l) + " declarations are not allowed in a control");
        }
    }
    check_stmt(*d.body);
    pop();
}

void Checker::check_var(Decl& d) {
    Type t = resolve(d.type);
    subset_.local_variable_type(d.type.loc, t);
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

void Checker::check_instance(Decl& d, bool top) {
    Type t = resolve(d.type);
    d.resolved_type = t;
    if (!top)
        subset_.control_instance(d, t);
    // Constructor arguments.
    const Decl* ctor = nullptr;
    if (t.kind == Type::Kind::Extern && t.decl) {
        for (const auto& m : t.decl->locals)
            if (m->name == t.decl->name && m->params.size() == d.args.size())
                ctor = m.get();
        if (!ctor)
            err(d.loc, DiagCode::ArgumentCount,
                "no constructor of '" + t.decl->name + "' takes " + std::to_string(d.args.size()) +
                    " arguments");
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
            subset_.constructor_argument(*d.args[i]);
        }
    }
    // register(size) and counter(size, type): the number of cells, which becomes a map's
    // size; 0 or a huge size would be refused only when the map is created.
    if (t.kind == Type::Kind::Extern && t.decl &&
        (t.decl->name == "register" || t.decl->name == "counter") && !d.args.empty()) {
        const Expr& size = *d.args[0];
        if (size.is_const && size.type.is_integral() &&
            (size.value == 0 || size.value > kMaxInstanceSize))
            err(start_of(size), DiagCode::InstanceSize,
                t.decl->name + " size must be in 1.." + std::to_string(kMaxInstanceSize) +
                    ", not " + std::to_string(size.value));
    }
    Symbol s;
    s.kind = SymKind::Instance;
    s.type = t;
    s.decl = &d;
    define(d.name, d.loc, s);
}

}  // namespace chima::p4::checking
