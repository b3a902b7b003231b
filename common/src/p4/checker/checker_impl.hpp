// The P4 type checker's private parts, shared by its files (not installed). The checker is
// split by construct, as p4c splits its type checker:
//   scopes.cpp            symbol tables, the walk over the top-level declarations
//   types.cpp             type references, coercion of unsized literals, operand unification
//   declarations.cpp      constants, variables, actions, controls, instances
//   parsers.cpp           parser blocks, states and select transitions (whole programs)
//   tables.cpp            keys, actions lists, default actions, const entries
//   statements.cpp        statements and switch
//   expressions.cpp       names, members, slices, casts
//   operators.cpp         unary and binary operators
//   calls.cpp             methods, externs, actions and their arguments
//   constant_folding.cpp  compile-time values, with the back end's semantics
//   function_subset.cpp   what CHIMA's P4 function subset refuses (chima-compile(1))
//   call_graph.cpp        recursion, and what inlining the action calls makes (limits)
// The checker consults the function subset at each construct it types, so a refused
// construct is reported where it is met, in source order, beside the type errors.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "chima/p4/ast.hpp"
#include "chima/p4/diagnostics.hpp"

namespace chima::p4::checking {

struct Symbol {
    SymKind kind = SymKind::None;
    Type type;
    const Decl* decl = nullptr;
    std::string direction;  // parameters
    bool is_const = false;
    uint64_t value = 0;
};

// Where an expression starts (a.b.c starts at a), for diagnostics about the whole of it.
Loc start_of(const Expr& e);

// All ones in the low `width` bits.
uint64_t mask_of(int width);

// Two's complement value of `width` bits, sign-extended to 64 bits.
int64_t sign_extend(uint64_t value, int width);

// "enum", "extern", "table", ...: a declaration's kind for messages.
std::string kind_name(const Decl& d);

// The rules of the function subset (check_function), active only in function mode. Each
// rule reports its own diagnostic and returns true when it refused the construct, so the
// checker can stop typing it. Code of the prelude (core.p4, v1model.p4, headers.p4) is
// exempt from the rules that say so: they apply to the checked file's own code.
class FunctionSubset {
  public:
    FunctionSubset(Diagnostics& diags, bool active) : diags_(diags), active_(active) {}

    bool active() const { return active_; }
    // Whether what is checked now comes from the prelude (set per top-level declaration).
    void set_in_prelude(bool in_prelude) { in_prelude_ = in_prelude; }

    // Exempts what is checked while it lives from the prelude-exempt rules: a type that was
    // already checked where it was declared (a field's type, an extern's parameter type).
    class DeclaredElsewhere {
      public:
        explicit DeclaredElsewhere(FunctionSubset& s) : s_(s), was_(s.in_prelude_) {
            s_.in_prelude_ = true;
        }
        ~DeclaredElsewhere() { s_.in_prelude_ = was_; }
        DeclaredElsewhere(const DeclaredElsewhere&) = delete;
        DeclaredElsewhere& operator=(const DeclaredElsewhere&) = delete;

      private:
        FunctionSubset& s_;
        bool was_;
    };

    // Types.
    bool varbit_type(const Loc& loc);
    bool type_too_wide(const Loc& loc, int width);
    bool tuple_type(const Loc& loc);
    bool header_stack_type(const Loc& loc);
    bool refused_extern_type(const Loc& loc, const std::string& name);
    bool literal_too_wide(int width) const;

    // Declarations.
    bool top_level_declaration(const Decl& d, const std::string& kind);
    bool type_declaration(const Decl& d);
    bool parser_block(const Decl& d);
    bool package_instance(const Decl& d);
    void action_parameters(const Decl& action);
    void control_signature(const Decl& control);
    void control_constructor_parameters(const Decl& control);
    void local_variable_type(const Loc& loc, const Type& t);
    void control_instance(const Decl& d, const Type& t);
    void constructor_argument(const Expr& arg);

    // Tables.
    void table_properties(const Decl& table);
    void match_kind(const KeyElement& key);
    void key_type(const KeyElement& key);
    void table_action_arguments(const ActionRef& action);
    void range_keyset(const Loc& loc);

    // Statements and expressions.
    void whole_assignment(const Loc& loc, const Type& t);
    bool stack_index(const Loc& loc);
    bool list_expression(const Loc& loc);
    bool standard_metadata_field(const Expr& member, const std::string& struct_name);
    bool error_value(const Loc& loc);
    bool enum_value(const Loc& loc);
    bool concatenation_too_wide(const Loc& loc, int width);
    bool comparison(const Loc& loc, const Type& t);
    void unsized_generic_argument(const Expr& arg);
    void control_apply(const Loc& loc);
    bool extern_function(const Loc& loc, const std::string& name);

  private:
    // Function mode and the checked file's own code.
    bool own_code() const { return active_ && !in_prelude_; }
    // In function mode: `what` is not supported in a function (E0314).
    bool refuse(const Loc& loc, const std::string& what);

    Diagnostics& diags_;
    bool active_;
    bool in_prelude_ = false;
};

class Checker {
  public:
    Checker(Program& prog, Diagnostics& diags, bool function_mode)
        : prog_(prog), diags_(diags), subset_(diags, function_mode) {}

    void run();

  private:
    // scopes.cpp
    void push() { scopes_.emplace_back(); }
    void pop() { scopes_.pop_back(); }
    void define(const std::string& name, const Loc& loc, Symbol s);
    const Symbol* lookup(const std::string& name) const;
    const Symbol* lookup_global(const std::string& name) const;
    void err(const Loc& l, DiagCode code, const std::string& msg);

    // types.cpp
    Type resolve(const TypeRef& t, bool allow_unsized_int = false);
    void coerce(Expr& e, const Type& to, const std::string& context);
    void set_literal_type(Expr& e, const Type& t);
    bool unify_pair(Expr& op, Expr& a, Expr& b);
    Type param_type(const TypeRef& t, const std::vector<Type>& bind,
                    const std::vector<std::string>& type_params);

    // declarations.cpp
    void declare_global(Decl& d);
    void check_global(Decl& d);
    void check_const(Decl& d);
    void declare_params(std::vector<Param>& params, bool action);
    void check_action(Decl& d);
    void check_control(Decl& d);
    void check_var(Decl& d);
    void check_instance(Decl& d, bool top);

    // parsers.cpp
    void check_parser(Decl& d);
    void check_transition(Stmt& t, const std::set<std::string>& states);
    void check_keyset_loose(Expr& e);

    // tables.cpp
    void check_table(Decl& t);
    void check_entry_key(const KeyElement& k, Expr& v);
    void check_action_use(const Decl& t, Expr& e, const std::string& what);

    // statements.cpp
    void check_stmt(Stmt& s);
    void check_switch(Stmt& s);

    // expressions.cpp
    void check_expr(Expr& e, const Type* expected);
    void check_name(Expr& e);
    void check_member(Expr& e);
    void check_slice(Expr& e);
    void check_cast(Expr& e);

    // operators.cpp
    void check_unary(Expr& e, const Type* expected);
    void check_binary(Expr& e, const Type* expected);

    // calls.cpp
    void check_args(Expr& call, const std::vector<Param>& params, const std::vector<Type>& bind,
                    const std::vector<std::string>& type_params, const std::string& what);
    void check_call(Expr& e);

    // constant_folding.cpp
    void fold(Expr& e);

    // call_graph.cpp: recursion among actions and controls, and the size of the inlined code.
    void check_call_graph();

    Program& prog_;
    Diagnostics& diags_;
    FunctionSubset subset_;
    bool in_ctor_args_ = false;  // typing the constructor arguments of an instance
    std::vector<std::map<std::string, Symbol>> scopes_;
    std::set<std::string> errors_;
};

}  // namespace chima::p4::checking
