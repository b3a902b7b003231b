// What CHIMA's P4 function subset refuses (chima-compile(1), "P4 SUBSET"): the
// rules the checker consults in function mode. Everything a function may not use is
// named here, each with the diagnostic that refuses it.
#include <set>

#include "checker_impl.hpp"

namespace chima::p4::checking {

namespace {

// Widest scalar a function may use: the back end holds every value in a 64-bit register.
constexpr int kMaxFunctionWidth = 64;

// The standard_metadata_t fields of the eBPF slot ABI (struct chima_standard_metadata).
const std::set<std::string> kFunctionStandardMetadata = {
    "ingress_port", "egress_spec", "egress_port", "packet_length", "ingress_global_timestamp"};

// Externs of v1model a function cannot instantiate (no eBPF counterpart in a slot).
const std::set<std::string> kRefusedExterns = {
    "meter",      "direct_meter", "direct_counter", "action_profile", "action_selector",
    "Checksum16", "Hash",         "Random",         "register_array"};

bool scalar_bool_or_unknown(const Type& t) {
    return t.is_scalar_int() || t.kind == Type::Kind::Bool || t.kind == Type::Kind::Unknown;
}

}  // namespace

bool FunctionSubset::refuse(const Loc& loc, const std::string& what) {
    if (!active_)
        return false;
    diags_.error(loc, DiagCode::OutsideSubset, what + " is not supported in a function");
    return true;
}

// ---------------------------------------------------------------- types

bool FunctionSubset::varbit_type(const Loc& loc) {
    return refuse(loc, "varbit");
}

bool FunctionSubset::type_too_wide(const Loc& loc, int width) {
    if (!own_code() || width <= kMaxFunctionWidth)
        return false;
    diags_.error(
        loc, DiagCode::WidthTooLarge,
        "bit widths above 64 are not supported in a function (got " + std::to_string(width) + ")");
    return true;
}

bool FunctionSubset::tuple_type(const Loc& loc) {
    return !in_prelude_ && refuse(loc, "tuple types");
}

bool FunctionSubset::header_stack_type(const Loc& loc) {
    return !in_prelude_ && refuse(loc, "header stacks");
}

bool FunctionSubset::refused_extern_type(const Loc& loc, const std::string& name) {
    if (!active_ || !kRefusedExterns.count(name))
        return false;
    diags_.error(loc, DiagCode::OutsideSubset,
                 "extern '" + name + "' is not supported in a function");
    return true;
}

bool FunctionSubset::literal_too_wide(int width) const {
    return own_code() && width > kMaxFunctionWidth;
}

// ---------------------------------------------------------------- declarations

bool FunctionSubset::top_level_declaration(const Decl& d, const std::string& kind) {
    if (!active_ || d.from_prelude)
        return false;
    diags_.error(d.loc, DiagCode::DeclarationNotAllowed,
                 kind + " declarations are not allowed in a function");
    return true;
}

bool FunctionSubset::type_declaration(const Decl& d) {
    if (!active_ || d.from_prelude)
        return false;
    diags_.error(d.loc, DiagCode::DeclarationNotAllowed,
                 "type declarations are not allowed in a function: the packet layout is fixed "
                 "by headers_t");
    return true;
}

bool FunctionSubset::parser_block(const Decl& d) {
    if (!active_ || d.from_prelude)
        return false;
    diags_.error(d.loc, DiagCode::ParserBlock, "parser blocks are not allowed in a function");
    return true;
}

bool FunctionSubset::package_instance(const Decl& d) {
    if (!active_ || d.from_prelude)
        return false;
    diags_.error(d.loc, DiagCode::DeclarationNotAllowed,
                 "package instantiation is not allowed in a function");
    return true;
}

void FunctionSubset::action_parameters(const Decl& action) {
    if (!active_ || action.from_prelude)
        return;
    for (const auto& p : action.params) {
        if (!p.direction.empty())
            refuse(p.loc, "action parameters with a direction ('" + p.direction + "')");
    }
}

void FunctionSubset::control_signature(const Decl& control) {
    if (!active_ || control.from_prelude)
        return;
    static const char* const expected[] = {"headers_t", "local_metadata_t", "standard_metadata_t"};
    bool ok = control.params.size() == 3;
    for (size_t i = 0; ok && i < 3; ++i) {
        const Param& p = control.params[i];
        ok = p.direction == "inout" && p.type.kind == TypeRef::Kind::Named &&
             p.type.name == expected[i];
    }
    if (!ok)
        diags_.error(control.loc, DiagCode::FunctionSignature,
                     "a function control must have the signature (inout headers_t, inout "
                     "local_metadata_t, inout standard_metadata_t)");
}

void FunctionSubset::control_constructor_parameters(const Decl& control) {
    if (!active_ || control.from_prelude || control.ctor_params.empty())
        return;
    refuse(control.ctor_params[0].loc, "control constructor parameters");
}

void FunctionSubset::local_variable_type(const Loc& loc, const Type& t) {
    if (own_code() && !scalar_bool_or_unknown(t))
        refuse(loc, "local variables of type " + t.str());
}

// Inside a function control: only register<bit<W>> and counter instances.
void FunctionSubset::control_instance(const Decl& d, const Type& t) {
    if (!own_code())
        return;
    bool ok = t.kind == Type::Kind::Extern && t.decl &&
              (t.decl->name == "register" || t.decl->name == "counter");
    if (!ok && t.kind != Type::Kind::Unknown)
        refuse(d.type.loc, "instances of '" + (t.decl ? t.decl->name : t.str()) + "'");
    if (ok && t.decl->name == "register" && (t.args.size() != 1 || !t.args[0].is_scalar_int()))
        diags_.error(d.type.loc, DiagCode::TypeMismatch,
                     "register element type must be bit<W> or int<W>");
}

void FunctionSubset::constructor_argument(const Expr& arg) {
    if (active_ && !arg.is_const)
        diags_.error(arg.loc, DiagCode::NotConstant, "constructor arguments must be constants");
}

// ---------------------------------------------------------------- tables

void FunctionSubset::table_properties(const Decl& table) {
    if (!active_)
        return;
    for (const auto& [name, loc] : table.other_properties)
        diags_.error(loc, DiagCode::OutsideSubset,
                     "table property '" + name + "' is not supported in a function");
}

void FunctionSubset::match_kind(const KeyElement& key) {
    if (active_ && key.match_kind != "exact" && key.match_kind != "lpm" &&
        key.match_kind != "ternary")
        diags_.error(key.match_loc, DiagCode::MatchKind,
                     "match kind '" + key.match_kind + "' is not supported in a function");
}

void FunctionSubset::key_type(const KeyElement& key) {
    const Type& t = key.expr->type;
    if (active_ && !scalar_bool_or_unknown(t))
        diags_.error(key.loc, DiagCode::KeyType,
                     "a table key must be bit<W>, int<W> or bool, not " + t.str());
}

void FunctionSubset::table_action_arguments(const ActionRef& action) {
    if (!action.args.empty())
        refuse(action.loc, "action arguments in a table's actions list");
}

void FunctionSubset::range_keyset(const Loc& loc) {
    refuse(loc, "range keysets");
}

// ---------------------------------------------------------------- statements and expressions

void FunctionSubset::whole_assignment(const Loc& loc, const Type& t) {
    if (own_code() && !scalar_bool_or_unknown(t))
        refuse(loc, "assigning a whole " + t.str());
}

bool FunctionSubset::stack_index(const Loc& loc) {
    return refuse(loc, "header stack indexing");
}

bool FunctionSubset::list_expression(const Loc& loc) {
    return refuse(loc, "list expressions");
}

bool FunctionSubset::standard_metadata_field(const Expr& member, const std::string& struct_name) {
    if (!own_code() || struct_name != "standard_metadata_t" ||
        kFunctionStandardMetadata.count(member.name))
        return false;
    diags_.error(member.loc, DiagCode::OutsideSubset,
                 "standard_metadata." + member.name +
                     " is not available to a function (it has ingress_port, egress_spec, "
                     "egress_port, packet_length, ingress_global_timestamp)");
    return true;
}

bool FunctionSubset::error_value(const Loc& loc) {
    return !in_prelude_ && refuse(loc, "error values");
}

bool FunctionSubset::enum_value(const Loc& loc) {
    return !in_prelude_ && refuse(loc, "enum values outside constructor arguments");
}

bool FunctionSubset::concatenation_too_wide(const Loc& loc, int width) {
    if (!own_code() || width <= kMaxFunctionWidth)
        return false;
    diags_.error(loc, DiagCode::ConcatTooWide,
                 "concatenation result bit<" + std::to_string(width) + "> is wider than 64 bits");
    return true;
}

bool FunctionSubset::comparison(const Loc& loc, const Type& t) {
    if (!own_code() || t.is_integral() || t.kind == Type::Kind::Bool)
        return false;
    return refuse(loc, "comparing values of type " + t.str());
}

void FunctionSubset::unsized_generic_argument(const Expr& arg) {
    if (active_ && arg.type.kind == Type::Kind::InfInt)
        diags_.error(arg.loc, DiagCode::OperandType,
                     "an unsized integer argument needs a width here");
}

void FunctionSubset::control_apply(const Loc& loc) {
    if (!in_prelude_)
        refuse(loc, "applying other controls");
}

bool FunctionSubset::extern_function(const Loc& loc, const std::string& name) {
    if (!own_code() || name == "mark_to_drop")
        return false;
    diags_.error(loc, DiagCode::OutsideSubset,
                 "extern '" + name + "' is not supported in a function");
    return true;
}

}  // namespace chima::p4::checking
