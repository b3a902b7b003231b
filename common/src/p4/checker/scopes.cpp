// The checker's symbol tables and its walk over the top-level declarations.
#include "checker_impl.hpp"

namespace chima::p4::checking {

void Checker::run() {
    scopes_.emplace_back();
    for (auto& d : prog_.decls)
        declare_global(*d);
    for (auto& d : prog_.decls)
        check_global(*d);
    check_call_graph();
}

void Checker::define(const std::string& name, const Loc& loc, Symbol s) {
    auto& top = scopes_.back();
    if (top.count(name)) {
        const Symbol& old = top[name];
        // Type declarations may be repeated identically (an include seen twice).
        if (!(old.decl && old.decl->loc.file == loc.file && old.decl->loc.line == loc.line))
            err(loc, DiagCode::Duplicate, "'" + name + "' is already declared");
        return;
    }
    top[name] = std::move(s);
}

const Symbol* Checker::lookup(const std::string& name) const {
    for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
        auto f = it->find(name);
        if (f != it->end())
            return &f->second;
    }
    return nullptr;
}

const Symbol* Checker::lookup_global(const std::string& name) const {
    auto f = scopes_.front().find(name);
    return f == scopes_.front().end() ? nullptr : &f->second;
}

void Checker::err(const Loc& l, DiagCode code, const std::string& msg) {
    diags_.error(l, code, msg);
}

}  // namespace chima::p4::checking
