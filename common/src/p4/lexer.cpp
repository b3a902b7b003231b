#include "chima/p4/lexer.hpp"

#include <cctype>

namespace chima::p4 {

namespace {

// Longest first, so "&&&" wins over "&&" and "&". ">>" is two ">" tokens, so that
// register<bit<8>> lexes; the parser joins adjacent ">" ">" into a shift.
const char* const kPunct[] = {"&&&", "|+|", "|-|", "<<", "<=", ">=", "==", "!=", "&&", "||",
                              "++",  "..",  "{",   "}",  "(",  ")",  "[",  "]",  ";",  ":",
                              ",",   ".",   "=",   "<",  ">",  "+",  "-",  "*",  "/",  "%",
                              "&",   "|",   "^",   "~",  "!",  "?",  "@",  "_"};

class Lexer {
  public:
    Lexer(const std::string& text, const std::string* file, Diagnostics& diags)
        : s_(text), file_(file), diags_(diags) {}

    std::vector<Token> run() {
        std::vector<Token> out;
        while (true) {
            skip_space_and_comments();
            Token t;
            t.loc = here();
            if (i_ >= s_.size()) {
                out.push_back(t);
                return out;
            }
            char c = s_[i_];
            if (c == '#') {
                if (directive(t))
                    out.push_back(t);
                continue;
            }
            if (std::isalpha(static_cast<unsigned char>(c)) ||
                (c == '_' && i_ + 1 < s_.size() && is_ident_char(s_[i_ + 1]))) {
                t.kind = TokKind::Ident;
                while (i_ < s_.size() && is_ident_char(s_[i_]))
                    t.text += advance();
            } else if (std::isdigit(static_cast<unsigned char>(c))) {
                number(t);
            } else if (c == '"') {
                t.kind = TokKind::String;
                advance();
                while (i_ < s_.size() && s_[i_] != '"' && s_[i_] != '\n')
                    t.text += advance();
                if (i_ >= s_.size() || s_[i_] != '"') {
                    diags_.error(t.loc, DiagCode::Unterminated, "unterminated string literal");
                } else {
                    advance();
                }
            } else if (!punct(t)) {
                diags_.error(t.loc, DiagCode::UnexpectedCharacter,
                             std::string("unexpected character '") + c + "'");
                advance();
                continue;
            }
            out.push_back(std::move(t));
        }
    }

  private:
    static bool is_ident_char(char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    }

    Loc here() const { return Loc{file_, line_, col_}; }

    char advance() {
        char c = s_[i_++];
        if (c == '\n') {
            ++line_;
            col_ = 1;
        } else {
            ++col_;
        }
        return c;
    }

    void skip_space_and_comments() {
        while (i_ < s_.size()) {
            char c = s_[i_];
            if (std::isspace(static_cast<unsigned char>(c))) {
                advance();
            } else if (c == '/' && i_ + 1 < s_.size() && s_[i_ + 1] == '/') {
                while (i_ < s_.size() && s_[i_] != '\n')
                    advance();
            } else if (c == '/' && i_ + 1 < s_.size() && s_[i_ + 1] == '*') {
                Loc start = here();
                advance();
                advance();
                while (i_ + 1 < s_.size() && !(s_[i_] == '*' && s_[i_ + 1] == '/'))
                    advance();
                if (i_ + 1 >= s_.size()) {
                    diags_.error(start, DiagCode::Unterminated, "unterminated comment");
                    i_ = s_.size();
                    return;
                }
                advance();
                advance();
            } else {
                return;
            }
        }
    }

    // "#include <file>" or "#include \"file\"": an Include token. Other directives are refused.
    bool directive(Token& t) {
        std::string line;
        while (i_ < s_.size() && s_[i_] != '\n')
            line += advance();
        size_t p = 1;
        while (p < line.size() && std::isspace(static_cast<unsigned char>(line[p])))
            ++p;
        size_t q = p;
        while (q < line.size() && std::isalpha(static_cast<unsigned char>(line[q])))
            ++q;
        std::string name = line.substr(p, q - p);
        if (name != "include") {
            diags_.error(t.loc, DiagCode::UnsupportedDirective,
                         "preprocessor directive '#" + name + "' is not supported (only #include)");
            return false;
        }
        while (q < line.size() && std::isspace(static_cast<unsigned char>(line[q])))
            ++q;
        char open = q < line.size() ? line[q] : '\0';
        char close = open == '<' ? '>' : '"';
        size_t end = line.find(close, q + 1);
        if ((open != '<' && open != '"') || end == std::string::npos) {
            diags_.error(t.loc, DiagCode::UnsupportedDirective, "malformed #include");
            return false;
        }
        t.kind = TokKind::Include;
        t.text = line.substr(q + 1, end - q - 1);
        t.system_include = open == '<';
        return true;
    }

    // [width ('w'|'s')] (0x|0b|0o|0d)? digits with '_' separators.
    void number(Token& t) {
        t.kind = TokKind::Number;
        std::string first;
        while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_])))
            first += advance();
        if (i_ < s_.size() && (s_[i_] == 'w' || s_[i_] == 's') && i_ + 1 < s_.size() &&
            std::isalnum(static_cast<unsigned char>(s_[i_ + 1]))) {
            t.is_signed = advance() == 's';
            t.width = first.size() > 4 ? 100000 : std::stoi(first);
            first.clear();
            while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_])))
                first += advance();
        }
        int base = 10;
        std::string digits = first;
        if (first == "0" && i_ < s_.size()) {
            char p = static_cast<char>(std::tolower(static_cast<unsigned char>(s_[i_])));
            if (p == 'x' || p == 'b' || p == 'o' || p == 'd') {
                advance();
                base = p == 'x' ? 16 : p == 'b' ? 2 : p == 'o' ? 8 : 10;
                digits.clear();
            }
        }
        while (i_ < s_.size() && (is_ident_char(s_[i_])))
            digits += advance();
        t.text = digits;
        unsigned __int128 v = 0;
        bool any = false, bad = false, big = false;
        for (char c : digits) {
            if (c == '_')
                continue;
            int d = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                    : std::isalpha(static_cast<unsigned char>(c))
                        ? std::tolower(static_cast<unsigned char>(c)) - 'a' + 10
                        : 99;
            if (d >= base) {
                bad = true;
                break;
            }
            any = true;
            v = v * base + d;
            if (v > UINT64_MAX)
                big = true;
        }
        if (bad || !any) {
            diags_.error(t.loc, DiagCode::InvalidInteger, "invalid integer literal");
        } else if (big) {
            diags_.error(t.loc, DiagCode::IntegerTooLarge,
                         "integer literal does not fit in 64 bits");
        }
        t.value = static_cast<uint64_t>(v);
    }

    bool punct(Token& t) {
        for (const char* p : kPunct) {
            std::string_view ps(p);
            if (s_.compare(i_, ps.size(), ps) == 0) {
                t.kind = TokKind::Punct;
                t.text = std::string(ps);
                for (size_t k = 0; k < ps.size(); ++k)
                    advance();
                return true;
            }
        }
        return false;
    }

    const std::string& s_;
    const std::string* file_;
    Diagnostics& diags_;
    size_t i_ = 0;
    int line_ = 1;
    int col_ = 1;
};

}  // namespace

std::vector<Token> lex(const std::string& text, const std::string* file, Diagnostics& diags) {
    return Lexer(text, file, diags).run();
}

}  // namespace chima::p4
