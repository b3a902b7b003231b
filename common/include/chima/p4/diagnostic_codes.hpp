// The catalog of the P4 front end's diagnostic codes: one line per code with its name in
// the code, the stable text ("E0312") and a short title. The codes are part of the
// interface (chima-compile(1) lists them; tests and editors match on them), so a code is
// added here, never spelt as a string where a diagnostic is made. The unit tests check
// that the man page lists exactly these codes with these titles.
//
// Groups by hundreds: E01xx lexical and preprocessor, E02xx syntax, E03xx names and the
// shape of a function, E04xx types and expressions, E05xx tables and instances, E06xx the
// front end's own limits (chima-compile(1), "LIMITS"; p4/limits.hpp).
#pragma once

#include <cstddef>
#include <string_view>

namespace chima::p4 {

// X(name, code, title)
#define CHIMA_P4_DIAGNOSTIC_CODES(X)                                                    \
    X(UnexpectedCharacter, "E0100", "unexpected character")                             \
    X(Unterminated, "E0101", "unterminated string literal or comment")                  \
    X(InvalidInteger, "E0102", "invalid integer literal")                               \
    X(IntegerTooLarge, "E0103", "integer literal does not fit in 64 bits")              \
    X(UnsupportedDirective, "E0110", "unsupported or malformed preprocessor directive") \
    X(IncludeNotFound, "E0111", "include or prelude file not found")                    \
    X(Syntax, "E0200", "syntax error or misplaced construct")                           \
    X(UnknownName, "E0300", "unknown name, type, action or parser state")               \
    X(Duplicate, "E0301", "duplicate declaration, action or label")                     \
    X(NotAType, "E0302", "name is not a type")                                          \
    X(NoSuchMember, "E0303", "no such field or member")                                 \
    X(NotCallable, "E0304", "no such method, or not callable")                          \
    X(ArgumentCount, "E0305", "wrong number of arguments")                              \
    X(ControlCount, "E0310", "no control of that name, or not exactly one control")     \
    X(FunctionSignature, "E0311", "wrong function control signature")                   \
    X(ParserBlock, "E0312", "parser block in a function")                               \
    X(DeclarationNotAllowed, "E0313", "declaration not allowed here")                   \
    X(OutsideSubset, "E0314", "construct outside the function subset")                  \
    X(Recursion, "E0315", "recursive action call or control instantiation")             \
    X(TypeMismatch, "E0400", "type or width mismatch")                                  \
    X(OperandType, "E0401", "operand or type not allowed here")                         \
    X(ValueDoesNotFit, "E0402", "value does not fit its type")                          \
    X(BadCast, "E0403", "invalid cast")                                                 \
    X(BadSlice, "E0404", "slice bounds not constant or out of range")                   \
    X(ConditionNotBool, "E0405", "condition is not bool")                               \
    X(NotAssignable, "E0406", "assignment to something not assignable")                 \
    X(BadShift, "E0407", "signed or unsized shift")                                     \
    X(WidthTooLarge, "E0408", "width above 64 bits")                                    \
    X(ConcatTooWide, "E0409", "concatenation wider than 64 bits")                       \
    X(SignedDivision, "E0410", "division or modulo of signed integers")                 \
    X(BadWidth, "E0412", "width not a positive constant")                               \
    X(NotConstant, "E0413", "value not a compile-time constant")                        \
    X(ReturnWithValue, "E0415", "return with a value")                                  \
    X(SwitchSubject, "E0416", "switch not on table.apply().action_run")                 \
    X(SwitchLabels, "E0417", "misplaced default label or last label without a block")   \
    X(DivisionByZero, "E0418", "division by zero")                                      \
    X(KeyType, "E0500", "table key type not allowed")                                   \
    X(NotTableAction, "E0501", "switch label not an action of the table")               \
    X(MatchKind, "E0502", "unknown or unsupported match kind")                          \
    X(ActionNotInTable, "E0503", "action not in the table's actions")                   \
    X(EntryKeyCount, "E0504", "wrong number of entry key values")                       \
    X(ExactKeyPattern, "E0505", "wildcard or mask on an exact key")                     \
    X(LpmMask, "E0506", "lpm mask not a prefix")                                        \
    X(TableSize, "E0507", "table size out of range")                                    \
    X(SecondLpmKey, "E0508", "more than one lpm key")                                   \
    X(NoActions, "E0509", "table without actions")                                      \
    X(InstanceSize, "E0510", "register or counter size out of range")                   \
    X(NestingTooDeep, "E0600", "nesting deeper than the limit")                         \
    X(ExpressionTooLong, "E0601", "expression longer than the limit")                   \
    X(TooManyInlined, "E0602", "too many inlined action bodies")                        \
    X(TooManyErrors, "E0603", "too many errors, the rest not reported")

enum class DiagCode {
#define CHIMA_P4_DIAG_ENUM(name, code, title) name,
    CHIMA_P4_DIAGNOSTIC_CODES(CHIMA_P4_DIAG_ENUM)
#undef CHIMA_P4_DIAG_ENUM
};

struct DiagCodeInfo {
    DiagCode id;
    std::string_view code;   // "E0312"
    std::string_view title;  // "parser block in a function"
};

// Every code, in DiagCode order (and so in ascending code order).
inline constexpr DiagCodeInfo kDiagCodes[] = {
#define CHIMA_P4_DIAG_INFO(name, code, title) {DiagCode::name, code, title},
    CHIMA_P4_DIAGNOSTIC_CODES(CHIMA_P4_DIAG_INFO)
#undef CHIMA_P4_DIAG_INFO
};

constexpr const DiagCodeInfo& info(DiagCode c) {
    return kDiagCodes[static_cast<std::size_t>(c)];
}

// "E0312" for DiagCode::ParserBlock.
constexpr std::string_view code_text(DiagCode c) {
    return info(c).code;
}

}  // namespace chima::p4
