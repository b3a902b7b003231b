// The abstract syntax tree of the P4-16 front end. The parser builds it; the type checker
// annotates expressions (type, constant value, resolved symbol); the back end reads it.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "chima/p4/diagnostics.hpp"

namespace chima::p4 {

struct Decl;
struct Expr;
struct Stmt;
using ExprPtr = std::unique_ptr<Expr>;
using StmtPtr = std::unique_ptr<Stmt>;
using DeclPtr = std::unique_ptr<Decl>;

// A type as written in the source: bit<8>, int<4>, bool, headers_t, register<bit<32>>.
struct TypeRef {
    enum class Kind { None, Bit, Int, Varbit, Bool, Void, String, Error, Named, Tuple, Stack };
    Kind kind = Kind::None;
    ExprPtr width;  // Bit/Int/Varbit; Stack: the size
    std::string name;
    std::vector<TypeRef> args;  // Named<args...>; Tuple members; Stack element
    Loc loc;

    TypeRef() = default;
    TypeRef(const TypeRef& o);
    TypeRef& operator=(const TypeRef& o);
    TypeRef(TypeRef&&) = default;
    TypeRef& operator=(TypeRef&&) = default;
    ~TypeRef();
};

// A resolved type, filled in by the checker.
struct Type {
    enum class Kind {
        Unknown,  // an error was already reported
        Bit,
        Int,
        InfInt,  // an integer literal without width
        Bool,
        Void,
        String,
        Header,
        Struct,
        HeaderUnion,
        Enum,
        ErrorType,
        MatchKind,
        Extern,   // an extern object type (register<T>, counter, packet_in, ...)
        Generic,  // a type parameter of an extern (T)
        Table,
        Control,
        Parser,
        Package,
        Action,
        Varbit,
        Tuple,
        Stack,
        TypeName,  // the expression names a type (e.g. CounterType in CounterType.packets)
    };
    Kind kind = Kind::Unknown;
    int width = 0;
    const Decl* decl = nullptr;  // header/struct/enum/extern/table/... declaration
    std::vector<Type> args;      // extern type arguments (register<bit<32>> -> bit<32>)

    Type() = default;
    explicit Type(Kind k, int w = 0, const Decl* d = nullptr) : kind(k), width(w), decl(d) {}

    static Type bit(int w) { return Type(Kind::Bit, w); }
    static Type sint(int w) { return Type(Kind::Int, w); }
    static Type boolean() { return Type(Kind::Bool); }
    bool is_scalar_int() const { return kind == Kind::Bit || kind == Kind::Int; }
    bool is_integral() const { return is_scalar_int() || kind == Kind::InfInt; }
    bool same(const Type& o) const;
    std::string str() const;
};

enum class ExprKind {
    Int,
    Bool,
    String,
    Name,     // x, or .x (dot_prefix)
    Member,   // kids[0].name
    Index,    // kids[0][kids[1]]
    Slice,    // kids[0][kids[1]:kids[2]]
    Unary,    // op kids[0]
    Binary,   // kids[0] op kids[1]
    Ternary,  // kids[0] ? kids[1] : kids[2]
    Cast,     // (cast_type) kids[0]
    Call,     // kids[0](kids[1..]); type_args for f<T>(...)
    Mask,     // kids[0] &&& kids[1] (keysets)
    Range,    // kids[0] .. kids[1] (keysets)
    Default,  // _ or default (keysets)
    List,     // { kids... } or a tuple keyset ( a, b )
};

// What a Name or Member expression resolved to.
enum class SymKind {
    None,
    Const,        // a compile-time constant (value in Expr::value after folding)
    Local,        // a local variable
    Param,        // a parameter of the control / action
    ActionParam,  // a directionless action parameter (from the control plane)
    Action,
    Table,
    Instance,  // an extern instance (register, counter)
    ExternFunction,
    Field,  // a field of a header/struct (Member)
    EnumMember,
    ErrorMember,
    MatchKindMember,
    Type,
    Method,  // isValid/setValid/apply/read/... (Member); member name is the method
    Control,
    Parser,
    Other,
};

struct Expr {
    ExprKind kind;
    Loc loc;
    std::string name;  // Name, Member: identifier; Unary/Binary: operator
    bool dot_prefix = false;
    // Int literal: value and written width (-1: none).
    uint64_t value = 0;
    int lit_width = -1;
    bool lit_signed = false;
    bool bool_value = false;
    std::vector<ExprPtr> kids;
    TypeRef cast_type;
    std::vector<TypeRef> type_args;

    // Filled by the checker.
    Type type;
    SymKind sym = SymKind::None;
    const Decl* decl = nullptr;  // the declaration a Name/Member/Call resolves to
    bool is_const = false;       // value holds the folded constant (two's complement)
    bool is_lvalue = false;

    Expr(ExprKind k, Loc l) : kind(k), loc(l) {}
};

struct SwitchCase {
    std::vector<std::pair<std::string, Loc>> labels;  // "default" for the default label
    StmtPtr body;                                     // null: falls through to the next
    Loc loc;
};

enum class StmtKind {
    Block,
    Assign,
    Call,
    If,
    Switch,
    Var,
    Const,
    Exit,
    Return,
    Empty,
    Transition
};

struct Stmt {
    StmtKind kind;
    Loc loc;
    std::vector<StmtPtr> stmts;     // Block
    ExprPtr lhs, rhs;               // Assign; Call: rhs is the call; If: rhs is the condition
    StmtPtr then_s, else_s;         // If
    std::vector<SwitchCase> cases;  // Switch (rhs: the selector)
    DeclPtr decl;                   // Var / Const
    // Transition: target state, or select(rhs) with cases.
    std::string target;
    std::vector<std::pair<ExprPtr, std::pair<std::string, Loc>>> select_cases;

    Stmt(StmtKind k, Loc l) : kind(k), loc(l) {}
};

// An annotation as written: @name("x") -> name "name", args {"x"} (string contents, numbers
// in decimal, other tokens as their text). P4Runtime naming reads @name, @id, @defaultonly
// and @tableonly; the checker ignores annotations.
struct Annotation {
    std::string name;
    std::vector<std::string> args;
    Loc loc;
};

const Annotation* find_annotation(const std::vector<Annotation>& list, const std::string& name);

struct Param {
    std::string direction;  // "", "in", "out", "inout"
    TypeRef type;
    std::string name;
    Loc loc;
    ExprPtr default_value;
    Type resolved;  // filled by the checker
};

struct Field {
    TypeRef type;
    std::string name;
    Loc loc;
};

struct KeyElement {
    ExprPtr expr;
    std::string match_kind;
    Loc loc;
    Loc match_loc;
    std::vector<Annotation> annotations;
};

struct ActionRef {
    std::string name;
    Loc loc;
    std::vector<ExprPtr> args;  // actions = { a(1); } is refused; kept for diagnostics
    const Decl* decl = nullptr;
    std::vector<Annotation> annotations;  // @defaultonly, @tableonly
};

struct TableEntry {
    std::vector<ExprPtr> keys;
    ExprPtr action;  // a Call (or Name) of an action
    Loc loc;
    int priority = -1;  // @priority(n) when written
};

enum class DeclKind {
    Header,
    Struct,
    HeaderUnion,
    Typedef,
    Const,
    Enum,
    Error,
    MatchKind,
    ExternObject,
    ExternFunction,
    Method,  // a method of an extern object (or its constructor when name == extern name)
    Action,
    Control,
    Parser,
    ControlType,  // control type declaration (no body), e.g. in v1model
    ParserType,
    Package,
    Instance,  // Type(args) name;
    Table,
    Var,       // a local variable
    State,     // a parser state
    Function,  // a P4 function declaration (refused in functions)
    ValueSet,
};

struct Decl {
    DeclKind kind;
    std::string name;
    Loc loc;
    std::vector<Field> fields;  // Header / Struct / HeaderUnion
    TypeRef type;               // Typedef, Const, Var, Instance, Method return type
    ExprPtr init;               // Const / Var initializer
    std::vector<std::pair<std::string, Loc>> members;  // Enum / Error / MatchKind
    std::vector<std::string> type_params;
    std::vector<Param> params;       // Action / Control / Parser / Method / Package
    std::vector<Param> ctor_params;  // Control / Parser constructor parameters
    std::vector<DeclPtr> locals;     // Control / Parser locals; ExternObject methods
    StmtPtr body;                    // Action body; Control apply; State statements
    std::vector<ExprPtr> args;       // Instance constructor arguments
    // Table
    std::vector<KeyElement> keys;
    std::vector<ActionRef> actions;
    ExprPtr default_action;
    bool const_default = false;
    bool has_const_entries = false;
    std::vector<TableEntry> entries;
    ExprPtr size;
    Loc size_loc;
    std::vector<std::pair<std::string, Loc>> other_properties;  // refused by the checker
    Type resolved_type;  // Instance / Var: filled by the checker
    bool abstract_or_declared_only = false;
    bool from_prelude = false;  // declared in an included file, not in the checked file
    std::vector<Annotation> annotations;
};

// Owns the text and names of every file read, so Loc::file stays valid.
struct SourceSet {
    std::deque<std::string> names;
    std::deque<std::string> texts;
    const std::string* add(std::string name, std::string text) {
        names.push_back(std::move(name));
        texts.push_back(std::move(text));
        return &names.back();
    }
};

struct Program {
    std::shared_ptr<SourceSet> sources = std::make_shared<SourceSet>();
    std::vector<DeclPtr> decls;  // in order, includes first
    // The parse stopped at a limit (p4/limits.hpp): decls is incomplete and is not checked.
    bool limit_reached = false;
};

}  // namespace chima::p4
