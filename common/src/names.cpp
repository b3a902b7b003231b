#include "chima/names.hpp"

#include "chima/error.hpp"

namespace chima {
namespace {

bool is_name_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool is_name_char(char c) {
    return is_name_start(c) || c == '_' || c == '-';
}

std::string printable(char c) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u >= 0x21 && u < 0x7f)
        return std::string("'") + c + "'";
    static const char* hex = "0123456789abcdef";
    return std::string("byte 0x") + hex[u >> 4] + hex[u & 15];
}

std::string problem_of(std::string_view name, size_t max_length) {
    if (name.empty())
        return "it is empty";
    if (name.size() > max_length) {
        return "it has " + std::to_string(name.size()) + " characters, at most " +
               std::to_string(max_length) + " are allowed";
    }
    if (!is_name_start(name[0]))
        return "it starts with " + printable(name[0]) + " (use a lower-case letter or a digit)";
    for (size_t i = 1; i < name.size(); ++i) {
        if (!is_name_char(name[i])) {
            return "character " + std::to_string(i + 1) + " is " + printable(name[i]) +
                   " (use [a-z0-9_-])";
        }
    }
    return {};
}

}  // namespace

std::string name_problem(std::string_view name) {
    return problem_of(name, kMaxNameLength);
}

bool is_valid_name(std::string_view name) {
    return name_problem(name).empty();
}

std::string derived_name_problem(std::string_view name) {
    return problem_of(name, kMaxDerivedNameLength);
}

std::string image_ref_problem(std::string_view ref) {
    if (ref.empty())
        return "it is empty";
    if (ref.size() > 255)
        return "it has " + std::to_string(ref.size()) + " characters, at most 255 are allowed";
    if (ref[0] == '-')
        return "it starts with '-'";
    for (size_t i = 0; i < ref.size(); ++i) {
        char c = ref[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '/' || c == ':' || c == '@' || c == '+' || c == '-';
        if (!ok)
            return "character " + std::to_string(i + 1) + " is " + printable(c);
    }
    return {};
}

std::string env_name_problem(std::string_view name) {
    if (name.empty())
        return "it is empty";
    for (size_t i = 0; i < name.size(); ++i) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                  (i > 0 && c >= '0' && c <= '9');
        if (!ok)
            return "character " + std::to_string(i + 1) + " is " + printable(c) +
                   " (use [A-Za-z_][A-Za-z0-9_]*)";
    }
    return {};
}

void check_name(const std::string& name, const std::string& what) {
    if (auto problem = name_problem(name); !problem.empty())
        throw InputError(what + " \"" + name + "\" is not valid: " + problem, kNameRule);
}

}  // namespace chima
