#include "chima/p4/ast.hpp"

namespace chima::p4 {

namespace {
ExprPtr clone_expr(const ExprPtr& e) {
    if (!e)
        return nullptr;
    auto c = std::make_unique<Expr>(e->kind, e->loc);
    c->name = e->name;
    c->dot_prefix = e->dot_prefix;
    c->value = e->value;
    c->lit_width = e->lit_width;
    c->lit_signed = e->lit_signed;
    c->bool_value = e->bool_value;
    for (const auto& k : e->kids)
        c->kids.push_back(clone_expr(k));
    c->cast_type = e->cast_type;
    c->type_args = e->type_args;
    return c;
}
}  // namespace

TypeRef::TypeRef(const TypeRef& o)
    : kind(o.kind), width(clone_expr(o.width)), name(o.name), args(o.args), loc(o.loc) {}

TypeRef& TypeRef::operator=(const TypeRef& o) {
    if (this != &o) {
        kind = o.kind;
        width = clone_expr(o.width);
        name = o.name;
        args = o.args;
        loc = o.loc;
    }
    return *this;
}

TypeRef::~TypeRef() = default;

bool Type::same(const Type& o) const {
    if (kind != o.kind)
        return false;
    switch (kind) {
        case Kind::Bit:
        case Kind::Int:
        case Kind::Varbit:
            return width == o.width;
        case Kind::Header:
        case Kind::Struct:
        case Kind::HeaderUnion:
        case Kind::Enum:
        case Kind::Extern:
        case Kind::Table:
        case Kind::Control:
        case Kind::Parser:
        case Kind::Package:
            if (decl != o.decl || args.size() != o.args.size())
                return false;
            for (size_t i = 0; i < args.size(); ++i)
                if (!args[i].same(o.args[i]))
                    return false;
            return true;
        default:
            return true;
    }
}

std::string Type::str() const {
    switch (kind) {
        case Kind::Unknown:
            return "<unknown>";
        case Kind::Bit:
            return "bit<" + std::to_string(width) + ">";
        case Kind::Int:
            return "int<" + std::to_string(width) + ">";
        case Kind::Varbit:
            return "varbit<" + std::to_string(width) + ">";
        case Kind::InfInt:
            return "int";
        case Kind::Bool:
            return "bool";
        case Kind::Void:
            return "void";
        case Kind::String:
            return "string";
        case Kind::ErrorType:
            return "error";
        case Kind::MatchKind:
            return "match_kind";
        case Kind::Generic:
            return "generic";
        case Kind::Tuple:
            return "tuple";
        case Kind::Stack:
            return "header stack";
        case Kind::Action:
            return "action " + (decl ? decl->name : std::string());
        case Kind::TypeName:
            return "type " + (decl ? decl->name : std::string());
        default: {
            std::string s = decl ? decl->name : "?";
            if (!args.empty()) {
                s += "<";
                for (size_t i = 0; i < args.size(); ++i)
                    s += (i ? ", " : "") + args[i].str();
                s += ">";
            }
            return s;
        }
    }
}

const Annotation* find_annotation(const std::vector<Annotation>& list, const std::string& name) {
    for (const auto& a : list)
        if (a.name == name)
            return &a;
    return nullptr;
}

}  // namespace chima::p4
