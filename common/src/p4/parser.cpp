#include "chima/p4/parser.hpp"

#include <fstream>
#include <set>
#include <sstream>

#include "chima/p4/lexer.hpp"
#include "chima/p4/limits.hpp"

namespace chima::p4 {

namespace fs = std::filesystem;

namespace {

// Thrown to abandon a declaration after a syntax error; the parser resynchronises.
struct SyntaxError {};

// Thrown when the input exceeds a limit of p4/limits.hpp: parsing stops (every file), since
// what follows would only be reported as a cascade of errors from the middle of a construct.
struct LimitReached {};

// What every parser of one program shares: each file is read once, the type names seen so
// far, and whether a limit stopped the parse.
struct ParseState {
    std::set<std::string> included;
    std::set<std::string> type_names;
    bool stopped = false;
};

std::string describe(const Token& t) {
    switch (t.kind) {
        case TokKind::End:
            return "end of file";
        case TokKind::Number:
            return "number";
        case TokKind::String:
            return "string \"" + t.text + "\"";
        case TokKind::Include:
            return "#include";
        default:
            return "'" + t.text + "'";
    }
}

bool read_text(const fs::path& p, std::string& out) {
    std::ifstream in(p, std::ios::binary);
    if (!in)
        return false;
    std::ostringstream ss;
    ss << in.rdbuf();
    out = ss.str();
    return true;
}

class Parser {
  public:
    Parser(Program& program, const ParseOptions& options, Diagnostics& diags, ParseState& state,
           int include_depth = 0)
        : prog_(program),
          opts_(options),
          diags_(diags),
          state_(state),
          included_(state.included),
          type_names_(state.type_names),
          include_depth_(include_depth) {}

    void parse_file(const std::string& text, const std::string* file, bool prelude) {
        toks_ = lex(text, file, diags_);
        pos_ = 0;
        prelude_ = prelude;
        dir_ = fs::path(*file).parent_path();
        while (!at_end() && !state_.stopped) {
            size_t before = pos_;
            try {
                top_level();
            } catch (const SyntaxError&) {
                recover_top_level(before);
            } catch (const LimitReached&) {
                state_.stopped = true;
            }
        }
    }

  private:
    // ---- limits (p4/limits.hpp) ----
    [[noreturn]] void limit(const Loc& loc, DiagCode code, const std::string& message) {
        diags_.error(loc, code, message);
        throw LimitReached{};
    }

    // One level of statement or declaration nesting while it lives.
    class StatementLevel {
      public:
        explicit StatementLevel(Parser& p) : p_(p) {
            if (++p_.statement_depth_ > kMaxNesting)
                p_.limit(p_.peek().loc, DiagCode::NestingTooDeep,
                         "blocks and statements nested deeper than " + std::to_string(kMaxNesting) +
                             " levels");
        }
        ~StatementLevel() { --p_.statement_depth_; }
        StatementLevel(const StatementLevel&) = delete;
        StatementLevel& operator=(const StatementLevel&) = delete;

      private:
        Parser& p_;
    };

    // One level of expression or type nesting while it lives; the outermost one starts the
    // count of the expression's length.
    class ExpressionLevel {
      public:
        explicit ExpressionLevel(Parser& p) : p_(p) {
            if (p_.expression_depth_ == 0)
                p_.expression_length_ = 0;
            if (++p_.expression_depth_ > kMaxNesting)
                p_.limit(p_.peek().loc, DiagCode::NestingTooDeep,
                         "expressions or types nested deeper than " + std::to_string(kMaxNesting) +
                             " levels (parentheses, sub-expressions, type arguments)");
        }
        ~ExpressionLevel() { --p_.expression_depth_; }
        ExpressionLevel(const ExpressionLevel&) = delete;
        ExpressionLevel& operator=(const ExpressionLevel&) = delete;

      private:
        Parser& p_;
    };

    // Counts one operand or operator of the current expression.
    void count_term(const Loc& loc) {
        if (++expression_length_ > kMaxExpressionLength)
            limit(loc, DiagCode::ExpressionTooLong,
                  "expression longer than " + std::to_string(kMaxExpressionLength) +
                      " operands and operators");
    }

    // ---- token helpers ----
    const Token& peek(size_t k = 0) const {
        size_t i = pos_ + k;
        return i < toks_.size() ? toks_[i] : toks_.back();
    }
    bool at_end() const { return peek().kind == TokKind::End; }
    bool is(const char* text, size_t k = 0) const {
        const Token& t = peek(k);
        return (t.kind == TokKind::Punct || t.kind == TokKind::Ident) && t.text == text;
    }
    bool is_ident(size_t k = 0) const { return peek(k).kind == TokKind::Ident; }
    Token take() {
        Token t = peek();
        if (pos_ < toks_.size() - 1)
            ++pos_;
        return t;
    }
    bool accept(const char* text) {
        if (!is(text))
            return false;
        take();
        return true;
    }
    [[noreturn]] void fail(const std::string& expected) {
        diags_.error(peek().loc, DiagCode::Syntax,
                     "syntax error: expected " + expected + ", found " + describe(peek()));
        throw SyntaxError{};
    }
    Token expect(const char* text) {
        if (!is(text))
            fail(std::string("'") + text + "'");
        return take();
    }
    Token expect_ident(const char* what = "an identifier") {
        if (!is_ident())
            fail(what);
        return take();
    }
    // Two adjacent '>' tokens form the shift-right operator.
    bool is_shr() const {
        return is(">") && is(">", 1) && peek(1).loc.line == peek().loc.line &&
               peek(1).loc.col == peek().loc.col + 1;
    }

    void recover_top_level(size_t before) {
        if (pos_ == before)
            take();
        int depth = 0;
        while (!at_end()) {
            if (is("{"))
                ++depth;
            if (is("}")) {
                --depth;
                if (depth <= 0) {
                    take();
                    return;
                }
            }
            if (is(";") && depth == 0) {
                take();
                return;
            }
            take();
        }
    }

    void skip_annotations(int* priority = nullptr) { (void)annotations(priority); }

    // The annotations before a construct; the body of @x(...) is kept token by token.
    std::vector<Annotation> annotations(int* priority = nullptr) {
        std::vector<Annotation> out;
        while (is("@")) {
            Loc at = peek().loc;
            take();
            Token name = expect_ident("an annotation name");
            out.push_back({name.text, {}, at});
            if (is("(")) {
                int depth = 0;
                do {
                    if (is("("))
                        ++depth;
                    if (is(")"))
                        --depth;
                    if (priority && name.text == "priority" && peek().kind == TokKind::Number)
                        *priority = static_cast<int>(peek().value);
                    if (at_end())
                        fail("')'");
                    const Token& tok = peek();
                    bool outer_paren =
                        (depth == 1 && tok.text == "(" && tok.kind == TokKind::Punct &&
                         out.back().args.empty()) ||
                        (depth == 0 && tok.text == ")" && tok.kind == TokKind::Punct);
                    if (!outer_paren) {
                        out.back().args.push_back(
                            tok.kind == TokKind::Number ? std::to_string(tok.value) : tok.text);
                    }
                    take();
                } while (depth > 0);
            } else if (is("[")) {
                int depth = 0;
                do {
                    if (is("["))
                        ++depth;
                    if (is("]"))
                        --depth;
                    if (at_end())
                        fail("']'");
                    take();
                } while (depth > 0);
            }
        }
        return out;
    }

    DeclPtr make(DeclKind k, const Token& name) {
        auto d = std::make_unique<Decl>();
        d->kind = k;
        d->name = name.text;
        d->loc = name.loc;
        d->from_prelude = prelude_;
        return d;
    }

    // ---- declarations ----
    void top_level() {
        std::vector<Annotation> ann = annotations();
        if (peek().kind == TokKind::Include) {
            include(take());
            return;
        }
        if (accept(";"))
            return;
        if (DeclPtr d = declaration(true)) {
            d->annotations = std::move(ann);
            prog_.decls.push_back(std::move(d));
        }
    }

    void include(const Token& t) {
        std::vector<fs::path> candidates;
        if (!t.system_include)
            candidates.push_back(dir_ / t.text);
        for (const auto& d : opts_.include_dirs)
            candidates.push_back(d / t.text);
        for (const auto& c : candidates) {
            std::error_code ec;
            if (!fs::is_regular_file(c, ec))
                continue;
            std::string key = fs::weakly_canonical(c, ec).string();
            if (!included_.insert(key).second)
                return;  // every file once
            std::string text;
            if (!read_text(c, text))
                break;
            const std::string* name = prog_.sources->add(c.string(), text);
            if (include_depth_ + 1 > kMaxIncludeDepth)
                limit(t.loc, DiagCode::NestingTooDeep,
                      "#include nested deeper than " + std::to_string(kMaxIncludeDepth) + " files");
            Parser sub(prog_, opts_, diags_, state_, include_depth_ + 1);
            sub.parse_file(prog_.sources->texts.back(), name, true);
            if (state_.stopped)
                throw LimitReached{};
            return;
        }
        diags_.error(t.loc, DiagCode::IncludeNotFound, "include file '" + t.text + "' not found");
    }

    DeclPtr declaration(bool top) {
        StatementLevel level(*this);
        if (is("const"))
            return const_decl();
        if (is("typedef") || is("type")) {
            Token kw = take();
            TypeRef ty = type_ref();
            Token name = expect_ident();
            expect(";");
            auto d = make(DeclKind::Typedef, name);
            d->type = std::move(ty);
            type_names_.insert(name.text);
            return d;
        }
        if (is("header") || is("struct") || is("header_union"))
            return struct_decl();
        if (is("enum"))
            return enum_decl();
        if (is("error") && is("{", 1))
            return member_list(DeclKind::Error);
        if (is("match_kind"))
            return member_list(DeclKind::MatchKind);
        if (is("extern"))
            return extern_decl();
        if (is("action"))
            return action_decl();
        if (is("control"))
            return control_decl();
        if (is("parser"))
            return parser_decl();
        if (is("package"))
            return package_decl();
        if (is("table"))
            return table_decl();
        if (is("function")) {
            diags_.error(peek().loc, DiagCode::OutsideSubset,
                         "function declarations are not supported");
            throw SyntaxError{};
        }
        if (is("value_set")) {
            diags_.error(peek().loc, DiagCode::OutsideSubset, "value_set is not supported");
            throw SyntaxError{};
        }
        // Type(args) name; where Type may be unknown (reported by the checker by name).
        if (starts_type() || (is_ident() && is("(", 1)))
            return var_or_instance(top);
        fail("a declaration");
    }

    DeclPtr const_decl() {
        expect("const");
        TypeRef ty = type_ref();
        Token name = expect_ident();
        expect("=");
        auto d = make(DeclKind::Const, name);
        d->type = std::move(ty);
        d->init = expression();
        expect(";");
        return d;
    }

    DeclPtr struct_decl() {
        Token kw = take();
        DeclKind k = kw.text == "header"   ? DeclKind::Header
                     : kw.text == "struct" ? DeclKind::Struct
                                           : DeclKind::HeaderUnion;
        Token name = expect_ident();
        type_names_.insert(name.text);
        auto d = make(k, name);
        expect("{");
        while (!accept("}")) {
            skip_annotations();
            Field f;
            f.type = type_ref();
            Token fname = expect_ident("a field name");
            f.name = fname.text;
            f.loc = fname.loc;
            expect(";");
            d->fields.push_back(std::move(f));
        }
        return d;
    }

    DeclPtr enum_decl() {
        expect("enum");
        TypeRef underlying;
        if (is("bit") || is("int"))
            underlying = type_ref();
        Token name = expect_ident();
        type_names_.insert(name.text);
        auto d = make(DeclKind::Enum, name);
        d->type = std::move(underlying);
        expect("{");
        while (!is("}")) {
            Token m = expect_ident("an enum member");
            d->members.emplace_back(m.text, m.loc);
            if (accept("="))
                d->args.push_back(expression());
            if (!accept(","))
                break;
        }
        expect("}");
        return d;
    }

    DeclPtr member_list(DeclKind k) {
        Token kw = take();
        auto d = make(k, kw);
        expect("{");
        while (!is("}")) {
            Token m = expect_ident("a member name");
            d->members.emplace_back(m.text, m.loc);
            if (!accept(","))
                break;
        }
        expect("}");
        return d;
    }

    std::vector<std::string> type_params() {
        std::vector<std::string> out;
        if (!accept("<"))
            return out;
        while (true) {
            Token t = expect_ident("a type parameter");
            out.push_back(t.text);
            type_names_.insert(t.text);
            if (!accept(","))
                break;
        }
        expect(">");
        return out;
    }

    DeclPtr extern_decl() {
        expect("extern");
        // extern Name [<T>] { methods }   or   extern RetType name [<T>] (params);
        if (is_ident() && (is("{", 1) || is("<", 1)) && !is("bit") && !is("int") && !is("varbit")) {
            size_t save = pos_;
            Token name = take();
            type_names_.insert(name.text);
            auto tps = type_params();
            if (is("{")) {
                auto d = make(DeclKind::ExternObject, name);
                d->type_params = std::move(tps);
                take();
                while (!accept("}")) {
                    skip_annotations();
                    bool abstract = accept("abstract");
                    auto m = std::make_unique<Decl>();
                    m->kind = DeclKind::Method;
                    m->from_prelude = prelude_;
                    m->abstract_or_declared_only = abstract;
                    if (is(name.text.c_str()) && is("(", 1)) {
                        Token ctor = take();  // constructor
                        m->name = ctor.text;
                        m->loc = ctor.loc;
                        m->type.kind = TypeRef::Kind::Void;
                    } else {
                        m->type = type_ref();
                        Token mn = expect_ident("a method name");
                        m->name = mn.text;
                        m->loc = mn.loc;
                        m->type_params = type_params();
                    }
                    m->params = param_list();
                    expect(";");
                    d->locals.push_back(std::move(m));
                }
                return d;
            }
            pos_ = save;
        }
        TypeRef ret = type_ref();
        Token name = expect_ident("a function name");
        auto d = make(DeclKind::ExternFunction, name);
        d->type = std::move(ret);
        d->type_params = type_params();
        d->params = param_list();
        expect(";");
        return d;
    }

    std::vector<Param> param_list() {
        std::vector<Param> out;
        expect("(");
        if (accept(")"))
            return out;
        while (true) {
            skip_annotations();
            Param p;
            if (is("in") || is("out") || is("inout"))
                p.direction = take().text;
            p.type = type_ref();
            Token name = expect_ident("a parameter name");
            p.name = name.text;
            p.loc = name.loc;
            if (accept("="))
                p.default_value = expression();
            out.push_back(std::move(p));
            if (!accept(","))
                break;
        }
        expect(")");
        return out;
    }

    DeclPtr action_decl() {
        expect("action");
        Token name = expect_ident("an action name");
        auto d = make(DeclKind::Action, name);
        d->params = param_list();
        d->body = block();
        return d;
    }

    DeclPtr control_decl() {
        expect("control");
        Token name = expect_ident("a control name");
        type_names_.insert(name.text);
        auto d = make(DeclKind::Control, name);
        d->type_params = type_params();
        d->params = param_list();
        if (accept(";")) {
            d->kind = DeclKind::ControlType;
            return d;
        }
        if (is("("))
            d->ctor_params = param_list();
        expect("{");
        while (!is("apply")) {
            if (is("}"))
                fail("'apply'");
            std::vector<Annotation> ann = annotations();
            if (accept(";"))
                continue;
            d->locals.push_back(declaration(false));
            if (d->locals.back())
                d->locals.back()->annotations = std::move(ann);
        }
        expect("apply");
        d->body = block();
        expect("}");
        return d;
    }

    DeclPtr parser_decl() {
        expect("parser");
        Token name = expect_ident("a parser name");
        type_names_.insert(name.text);
        auto d = make(DeclKind::Parser, name);
        d->type_params = type_params();
        d->params = param_list();
        if (accept(";")) {
            d->kind = DeclKind::ParserType;
            return d;
        }
        if (is("("))
            d->ctor_params = param_list();
        expect("{");
        while (!accept("}")) {
            skip_annotations();
            if (is("state")) {
                take();
                Token sn = expect_ident("a state name");
                auto s = make(DeclKind::State, sn);
                s->body = state_body();
                d->locals.push_back(std::move(s));
            } else {
                d->locals.push_back(declaration(false));
            }
        }
        return d;
    }

    StmtPtr state_body() {
        auto b = std::make_unique<Stmt>(StmtKind::Block, peek().loc);
        expect("{");
        while (!accept("}")) {
            if (is("transition")) {
                Token kw = take();
                auto t = std::make_unique<Stmt>(StmtKind::Transition, kw.loc);
                if (accept("select")) {
                    expect("(");
                    t->rhs = expression_list_as_one();
                    expect(")");
                    expect("{");
                    while (!accept("}")) {
                        ExprPtr ks = keyset();
                        expect(":");
                        Token target = expect_ident("a state name");
                        expect(";");
                        t->select_cases.emplace_back(std::move(ks),
                                                     std::make_pair(target.text, target.loc));
                    }
                } else {
                    Token target = expect_ident("a state name");
                    t->target = target.text;
                    t->rhs = nullptr;
                    t->select_cases.clear();
                    t->cases.clear();
                    t->lhs = nullptr;
                    t->target = target.text;
                    t->loc = target.loc;
                    expect(";");
                }
                b->stmts.push_back(std::move(t));
                continue;
            }
            b->stmts.push_back(statement());
        }
        return b;
    }

    ExprPtr expression_list_as_one() {
        Loc l = peek().loc;
        ExprPtr first = expression();
        if (!is(","))
            return first;
        auto list = std::make_unique<Expr>(ExprKind::List, l);
        list->kids.push_back(std::move(first));
        while (accept(","))
            list->kids.push_back(expression());
        return list;
    }

    DeclPtr package_decl() {
        expect("package");
        Token name = expect_ident("a package name");
        type_names_.insert(name.text);
        auto d = make(DeclKind::Package, name);
        d->type_params = type_params();
        d->params = param_list();
        expect(";");
        return d;
    }

    DeclPtr table_decl() {
        expect("table");
        Token name = expect_ident("a table name");
        auto d = make(DeclKind::Table, name);
        expect("{");
        while (!accept("}")) {
            skip_annotations();
            bool is_const = accept("const");
            Token prop = expect_ident("a table property");
            if (prop.text == "key") {
                expect("=");
                expect("{");
                while (!accept("}")) {
                    KeyElement k;
                    k.loc = peek().loc;
                    k.expr = expression();
                    expect(":");
                    Token mk = expect_ident("a match kind");
                    k.match_kind = mk.text;
                    k.match_loc = mk.loc;
                    k.annotations = annotations();
                    expect(";");
                    d->keys.push_back(std::move(k));
                }
            } else if (prop.text == "actions") {
                expect("=");
                expect("{");
                while (!accept("}")) {
                    std::vector<Annotation> ann = annotations();
                    ActionRef a;
                    a.annotations = std::move(ann);
                    Token an = expect_ident("an action name");
                    a.name = an.text;
                    a.loc = an.loc;
                    if (accept("(")) {
                        while (!accept(")")) {
                            a.args.push_back(expression());
                            if (!is(")"))
                                expect(",");
                        }
                    }
                    expect(";");
                    d->actions.push_back(std::move(a));
                }
            } else if (prop.text == "default_action") {
                expect("=");
                d->const_default = is_const;
                d->default_action = expression();
                expect(";");
            } else if (prop.text == "entries") {
                expect("=");
                d->has_const_entries = true;
                expect("{");
                while (!accept("}")) {
                    TableEntry e;
                    skip_annotations(&e.priority);
                    e.loc = peek().loc;
                    if (is("(")) {
                        take();
                        while (true) {
                            e.keys.push_back(keyset());
                            if (!accept(","))
                                break;
                        }
                        expect(")");
                    } else {
                        e.keys.push_back(keyset());
                    }
                    expect(":");
                    e.action = expression();
                    expect(";");
                    d->entries.push_back(std::move(e));
                }
            } else if (prop.text == "size") {
                expect("=");
                d->size_loc = prop.loc;
                d->size = expression();
                expect(";");
            } else {
                d->other_properties.emplace_back(prop.text, prop.loc);
                expect("=");
                if (is("{")) {
                    int depth = 0;
                    do {
                        if (is("{"))
                            ++depth;
                        if (is("}"))
                            --depth;
                        if (at_end())
                            fail("'}'");
                        take();
                    } while (depth > 0);
                    accept(";");
                } else {
                    expression();
                    expect(";");
                }
            }
        }
        return d;
    }

    ExprPtr keyset() {
        Loc l = peek().loc;
        if (is("_") || is("default")) {
            take();
            return std::make_unique<Expr>(ExprKind::Default, l);
        }
        ExprPtr v = expression();
        if (is("&&&") || is("..")) {
            Token op = take();
            auto m =
                std::make_unique<Expr>(op.text == "&&&" ? ExprKind::Mask : ExprKind::Range, op.loc);
            m->kids.push_back(std::move(v));
            m->kids.push_back(expression());
            return m;
        }
        return v;
    }

    bool starts_type() const {
        if (is("bit") || is("int") || is("varbit") || is("bool") || is("void") || is("string") ||
            is("tuple") || (is("error") && !is("{", 1)))
            return true;
        return is_ident() && (type_names_.count(peek().text) > 0 || is_ident(1));
    }

    DeclPtr var_or_instance(bool top) {
        (void)top;
        TypeRef ty = type_ref();
        if (is("(")) {
            // Instantiation: Type(args) name;
            auto args = call_args();
            Token name = expect_ident("an instance name");
            auto d = make(DeclKind::Instance, name);
            d->type = std::move(ty);
            d->args = std::move(args);
            if (is("=")) {
                diags_.error(peek().loc, DiagCode::OutsideSubset,
                             "instances with abstract method implementations are not supported");
                throw SyntaxError{};
            }
            expect(";");
            return d;
        }
        Token name = expect_ident("a variable name");
        auto d = make(DeclKind::Var, name);
        d->type = std::move(ty);
        if (accept("="))
            d->init = expression();
        expect(";");
        return d;
    }

    TypeRef type_ref() {
        ExpressionLevel level(*this);
        TypeRef t;
        t.loc = peek().loc;
        if (is("bit") || is("int") || is("varbit")) {
            Token kw = take();
            t.kind = kw.text == "bit"   ? TypeRef::Kind::Bit
                     : kw.text == "int" ? TypeRef::Kind::Int
                                        : TypeRef::Kind::Varbit;
            if (accept("<")) {
                if (accept("(")) {
                    t.width = expression();
                    expect(")");
                } else if (peek().kind == TokKind::Number || is_ident()) {
                    t.width = primary();
                } else {
                    fail("a width");
                }
                expect(">");
            } else if (t.kind == TypeRef::Kind::Bit) {
                auto one = std::make_unique<Expr>(ExprKind::Int, kw.loc);
                one->value = 1;
                t.width = std::move(one);
            } else if (t.kind == TypeRef::Kind::Varbit) {
                fail("'<'");
            }
            // plain `int`: an arbitrary-precision integer (constants only)
        } else if (accept("bool")) {
            t.kind = TypeRef::Kind::Bool;
        } else if (accept("void")) {
            t.kind = TypeRef::Kind::Void;
        } else if (accept("string")) {
            t.kind = TypeRef::Kind::String;
        } else if (accept("error")) {
            t.kind = TypeRef::Kind::Error;
        } else if (accept("tuple")) {
            t.kind = TypeRef::Kind::Tuple;
            expect("<");
            while (true) {
                t.args.push_back(type_ref());
                if (!accept(","))
                    break;
            }
            expect(">");
        } else if (is_ident()) {
            t.kind = TypeRef::Kind::Named;
            t.name = take().text;
            if (is("<")) {
                take();
                while (true) {
                    t.args.push_back(type_ref());
                    if (!accept(","))
                        break;
                }
                expect(">");
            }
        } else {
            fail("a type");
        }
        if (is("[") && t.kind == TypeRef::Kind::Named) {
            // header stack: h_t[N]
            take();
            TypeRef stack;
            stack.kind = TypeRef::Kind::Stack;
            stack.loc = t.loc;
            stack.width = expression();
            expect("]");
            stack.args.push_back(std::move(t));
            return stack;
        }
        return t;
    }

    std::vector<ExprPtr> call_args() {
        std::vector<ExprPtr> out;
        expect("(");
        if (accept(")"))
            return out;
        while (true) {
            if (is("_")) {
                out.push_back(std::make_unique<Expr>(ExprKind::Default, take().loc));
            } else {
                out.push_back(expression());
            }
            if (!accept(","))
                break;
        }
        expect(")");
        return out;
    }

    // ---- statements ----
    StmtPtr block() {
        StatementLevel level(*this);
        auto b = std::make_unique<Stmt>(StmtKind::Block, peek().loc);
        expect("{");
        while (!accept("}")) {
            if (at_end())
                fail("'}'");
            b->stmts.push_back(statement());
        }
        return b;
    }

    StmtPtr statement() {
        skip_annotations();
        Loc l = peek().loc;
        if (is("{"))
            return block();
        if (accept(";"))
            return std::make_unique<Stmt>(StmtKind::Empty, l);
        if (accept("if")) {
            auto s = std::make_unique<Stmt>(StmtKind::If, l);
            expect("(");
            s->rhs = expression();
            expect(")");
            s->then_s = branch();
            if (accept("else"))
                s->else_s = branch();
            return s;
        }
        if (accept("switch")) {
            auto s = std::make_unique<Stmt>(StmtKind::Switch, l);
            expect("(");
            s->rhs = expression();
            expect(")");
            expect("{");
            while (!accept("}")) {
                SwitchCase c;
                c.loc = peek().loc;
                Token label = is("default") ? take() : expect_ident("a switch label");
                c.labels.emplace_back(label.text, label.loc);
                expect(":");
                if (is("{"))
                    c.body = block();
                s->cases.push_back(std::move(c));
            }
            return s;
        }
        if (accept("exit")) {
            expect(";");
            return std::make_unique<Stmt>(StmtKind::Exit, l);
        }
        if (accept("return")) {
            auto s = std::make_unique<Stmt>(StmtKind::Return, l);
            if (!is(";"))
                s->rhs = expression();
            expect(";");
            return s;
        }
        if (is("const")) {
            auto s = std::make_unique<Stmt>(StmtKind::Const, l);
            s->decl = const_decl();
            return s;
        }
        if (is("action") || is("table") || is("control") || is("parser")) {
            diags_.error(l, DiagCode::OutsideSubset,
                         "'" + peek().text + "' declarations inside a block are not allowed");
            throw SyntaxError{};
        }
        if (starts_var_decl()) {
            auto s = std::make_unique<Stmt>(StmtKind::Var, l);
            s->decl = var_or_instance(false);
            if (s->decl->kind == DeclKind::Instance) {
                diags_.error(l, DiagCode::OutsideSubset,
                             "instantiations inside apply blocks are not allowed");
            }
            return s;
        }
        ExprPtr e = expression();
        if (accept("=")) {
            auto s = std::make_unique<Stmt>(StmtKind::Assign, l);
            s->lhs = std::move(e);
            s->rhs = expression();
            expect(";");
            return s;
        }
        auto s = std::make_unique<Stmt>(StmtKind::Call, l);
        s->rhs = std::move(e);
        expect(";");
        return s;
    }

    // The body of an if or else: a block is one level, and so is a statement without one
    // (an else-if chain nests in the tree, and the walks over it recurse).
    StmtPtr branch() {
        if (is("{"))
            return statement();
        StatementLevel level(*this);
        return statement();
    }

    bool starts_var_decl() const {
        if (is("bit") || is("int") || is("varbit") || is("bool") || is("tuple"))
            return true;
        if (is("error") && !is(".", 1))
            return true;
        if (!is_ident())
            return false;
        if (is_ident(1))
            return true;  // T x
        return type_names_.count(peek().text) > 0 && (is("<", 1) || is("[", 1));
    }

    // ---- expressions ----
    ExprPtr expression() {
        ExpressionLevel level(*this);
        return ternary();
    }

    ExprPtr ternary() {
        ExprPtr c = binary(0);
        if (!is("?"))
            return c;
        count_term(peek().loc);
        Token q = take();
        auto t = std::make_unique<Expr>(ExprKind::Ternary, q.loc);
        t->kids.push_back(std::move(c));
        t->kids.push_back(expression());
        expect(":");
        t->kids.push_back(expression());
        return t;
    }

    // Binary operator levels, loosest first.
    static int level_of(const std::string& op) {
        static const std::vector<std::vector<std::string>> levels = {
            {"||"}, {"&&"}, {"==", "!="}, {"<", ">", "<=", ">="},         {"|"},
            {"^"},  {"&"},  {"<<", ">>"}, {"++", "+", "-", "|+|", "|-|"}, {"*", "/", "%"}};
        for (size_t i = 0; i < levels.size(); ++i)
            for (const auto& o : levels[i])
                if (o == op)
                    return static_cast<int>(i);
        return -1;
    }

    // The binary operator at the cursor, or "" (">>" is two '>' tokens).
    std::string peek_binop() const {
        if (peek().kind != TokKind::Punct)
            return "";
        if (is_shr())
            return ">>";
        const std::string& t = peek().text;
        return level_of(t) >= 0 ? t : "";
    }

    ExprPtr binary(int min_level) {
        ExprPtr lhs = unary();
        while (true) {
            std::string op = peek_binop();
            if (op.empty())
                return lhs;
            int lvl = level_of(op);
            if (lvl < min_level)
                return lhs;
            count_term(peek().loc);
            Token t = take();
            if (op == ">>")
                take();
            ExprPtr rhs = binary(lvl + 1);
            auto b = std::make_unique<Expr>(ExprKind::Binary, t.loc);
            b->name = op;
            b->kids.push_back(std::move(lhs));
            b->kids.push_back(std::move(rhs));
            lhs = std::move(b);
        }
    }

    ExprPtr unary() {
        if (is("!") || is("~") || is("-") || is("+")) {
            count_term(peek().loc);
            Token op = take();
            auto u = std::make_unique<Expr>(ExprKind::Unary, op.loc);
            u->name = op.text;
            // The operand nests one level deeper: the back end's C wraps each unary
            // operator in parentheses, and clang overflows its stack on a long chain.
            ExpressionLevel level(*this);
            u->kids.push_back(unary());
            return u;
        }
        // Cast: '(' type ')' unary, when the parenthesis holds a type.
        if (is("(") && cast_follows()) {
            count_term(peek().loc);
            Token open = take();
            auto c = std::make_unique<Expr>(ExprKind::Cast, open.loc);
            c->cast_type = type_ref();
            expect(")");
            ExpressionLevel level(*this);
            c->kids.push_back(unary());
            return c;
        }
        return postfix(primary());
    }

    bool cast_follows() const {
        if (is("bit", 1) || is("int", 1) || is("bool", 1) || is("varbit", 1))
            return true;
        if (peek(1).kind == TokKind::Ident && type_names_.count(peek(1).text) &&
            (is(")", 2) || is("<", 2)))
            return true;
        return false;
    }

    ExprPtr postfix(ExprPtr e) {
        while (true) {
            if (is(".")) {
                count_term(peek().loc);
                take();
                Token m = expect_ident("a member name");
                auto mem = std::make_unique<Expr>(ExprKind::Member, m.loc);
                mem->name = m.text;
                mem->kids.push_back(std::move(e));
                e = std::move(mem);
                if (is("<") && type_args_follow()) {
                    take();
                    while (true) {
                        e->type_args.push_back(type_ref());
                        if (!accept(","))
                            break;
                    }
                    expect(">");
                }
            } else if (is("[")) {
                count_term(peek().loc);
                Token open = take();
                ExprPtr a = expression();
                if (accept(":")) {
                    auto s = std::make_unique<Expr>(ExprKind::Slice, open.loc);
                    s->kids.push_back(std::move(e));
                    s->kids.push_back(std::move(a));
                    s->kids.push_back(expression());
                    expect("]");
                    e = std::move(s);
                } else {
                    auto ix = std::make_unique<Expr>(ExprKind::Index, open.loc);
                    ix->kids.push_back(std::move(e));
                    ix->kids.push_back(std::move(a));
                    expect("]");
                    e = std::move(ix);
                }
            } else if (is("(")) {
                count_term(peek().loc);
                Loc l = e->loc;
                auto call = std::make_unique<Expr>(ExprKind::Call, l);
                call->type_args = std::move(e->type_args);
                call->kids.push_back(std::move(e));
                for (auto& a : call_args())
                    call->kids.push_back(std::move(a));
                e = std::move(call);
            } else {
                return e;
            }
        }
    }

    bool type_args_follow() const {
        return is("bit", 1) || is("int", 1) || is("bool", 1) ||
               (peek(1).kind == TokKind::Ident && type_names_.count(peek(1).text) &&
                (is(">", 2) || is(",", 2) || is("<", 2)));
    }

    ExprPtr primary() {
        count_term(peek().loc);
        const Token& t = peek();
        Loc l = t.loc;
        if (t.kind == TokKind::Number) {
            Token n = take();
            auto e = std::make_unique<Expr>(ExprKind::Int, l);
            e->value = n.value;
            e->lit_width = n.width;
            e->lit_signed = n.is_signed;
            return e;
        }
        if (t.kind == TokKind::String) {
            auto e = std::make_unique<Expr>(ExprKind::String, l);
            e->name = take().text;
            return e;
        }
        if (is("true") || is("false")) {
            auto e = std::make_unique<Expr>(ExprKind::Bool, l);
            e->bool_value = take().text == "true";
            return e;
        }
        if (is("(")) {
            take();
            ExprPtr e = expression();
            expect(")");
            return e;
        }
        if (is("{")) {
            take();
            auto e = std::make_unique<Expr>(ExprKind::List, l);
            while (!accept("}")) {
                e->kids.push_back(expression());
                if (!is("}"))
                    expect(",");
            }
            return e;
        }
        if (is(".") && is_ident(1)) {
            take();
            auto e = std::make_unique<Expr>(ExprKind::Name, l);
            e->name = take().text;
            e->dot_prefix = true;
            return e;
        }
        if (is_ident() || is("error")) {
            auto e = std::make_unique<Expr>(ExprKind::Name, l);
            e->name = take().text;
            return e;
        }
        fail("an expression");
    }

    Program& prog_;
    const ParseOptions& opts_;
    Diagnostics& diags_;
    ParseState& state_;
    std::set<std::string>& included_;
    std::set<std::string>& type_names_;
    int include_depth_ = 0;
    int statement_depth_ = 0;
    int expression_depth_ = 0;
    int expression_length_ = 0;
    std::vector<Token> toks_;
    size_t pos_ = 0;
    bool prelude_ = false;
    fs::path dir_;
};

}  // namespace

void parse_into(Program& program, const std::string& text, const std::string& file,
                const ParseOptions& options, Diagnostics& diags) {
    ParseState state;
    for (const auto& p : options.prelude) {
        if (state.stopped)
            break;
        std::string t;
        std::error_code ec;
        if (!state.included.insert(fs::weakly_canonical(p, ec).string()).second)
            continue;
        if (!read_text(p, t)) {
            diags.error(Loc{}, DiagCode::IncludeNotFound,
                        "prelude file '" + p.string() + "' not found");
            continue;
        }
        const std::string* name = program.sources->add(p.string(), std::move(t));
        Parser sub(program, options, diags, state);
        sub.parse_file(program.sources->texts.back(), name, true);
    }
    const std::string* name = program.sources->add(file, text);
    if (!state.stopped) {
        Parser main(program, options, diags, state);
        main.parse_file(program.sources->texts.back(), name, false);
    }
    program.limit_reached = state.stopped;
}

}  // namespace chima::p4
