// Calls: methods of headers, tables and externs, extern functions, actions, and the
// binding of arguments to parameters.
#include "checker_impl.hpp"

namespace chima::p4::checking {

// Binds the parameters of a method/function call to its arguments.
void Checker::check_args(Expr& call, const std::vector<Param>& params,
                         const std::vector<Type>& bind, const std::vector<std::string>& type_params,
                         const std::string& what) {
    size_t nargs = call.kids.size() - 1;
    size_t required = 0;
    for (const auto& p : params)
        if (!p.default_value)
            ++required;
    if (nargs < required || nargs > params.size()) {
        err(call.loc, DiagCode::ArgumentCount,
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
        check_expr(
            a, pt.kind == Type::Kind::Unknown || pt.kind == Type::Kind::Generic ? nullptr : &pt);
        if (pt.kind == Type::Kind::Generic) {
            subset_.unsized_generic_argument(a);
        } else {
            coerce(a, pt, "argument '" + params[i].name + "' of " + what);
        }
        const std::string& dir = params[i].direction;
        if ((dir == "out" || dir == "inout") && !a.is_lvalue && a.type.kind != Type::Kind::Unknown)
            err(start_of(a), DiagCode::NotAssignable,
                "argument '" + params[i].name + "' of " + what + " is " + dir +
                    " and needs an assignable expression");
    }
}

void Checker::check_call(Expr& e) {
    Expr& callee = *e.kids[0];
    if (callee.kind == ExprKind::Member) {
        check_expr(*callee.kids[0], nullptr);
        const Type& base_t = callee.kids[0]->type;
        if ((base_t.kind == Type::Kind::Header || base_t.kind == Type::Kind::Struct) &&
            callee.name != "isValid" && callee.name != "setValid" && callee.name != "setInvalid") {
            err(callee.loc, DiagCode::NotCallable,
                "'" + base_t.str() + "' has no method '" + callee.name + "'");
            return;
        }
        check_expr(callee, nullptr);
        if (callee.sym != SymKind::Method) {
            if (callee.type.kind != Type::Kind::Unknown)
                err(callee.loc, DiagCode::NotCallable, "'" + callee.name + "' is not a method");
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
                    err(e.loc, DiagCode::NotAssignable, m + "() needs an assignable header");
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
                err(callee.loc, DiagCode::NotCallable, "tables have only apply(), not '" + m + "'");
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
            subset_.control_apply(callee.loc);
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
                err(callee.loc, DiagCode::NotCallable,
                    "'" + bt.decl->name + "' has no method '" + m + "'");
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
        err(callee.loc, DiagCode::NotCallable, "'" + m + "' cannot be called on " + bt.str());
        return;
    }
    // Member of an apply result: t.apply().hit is parsed as Member(Call), not a call.
    if (callee.kind != ExprKind::Name) {
        check_expr(callee, nullptr);
        err(e.loc, DiagCode::NotCallable, "this expression cannot be called");
        return;
    }
    check_expr(callee, nullptr);
    if (callee.type.kind == Type::Kind::Unknown && callee.sym == SymKind::None) {
        for (size_t i = 1; i < e.kids.size(); ++i)
            check_expr(*e.kids[i], nullptr);
        return;
    }
    if (callee.sym == SymKind::Action) {
        check_args(e, callee.decl->params, {}, {}, "action '" + callee.name + "'");
        e.sym = SymKind::Action;
        e.decl = callee.decl;
        e.type = Type{Type::Kind::Void};
        return;
    }
    if (callee.sym == SymKind::ExternFunction) {
        if (subset_.extern_function(callee.loc, callee.name))
            return;
        std::vector<Type> bind;
        for (const auto& ta : e.type_args)
            bind.push_back(resolve(ta));
        check_args(e, callee.decl->params, bind, callee.decl->type_params, "'" + callee.name + "'");
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
    err(callee.loc, DiagCode::NotCallable, "'" + callee.name + "' is not callable");
}

}  // namespace chima::p4::checking
