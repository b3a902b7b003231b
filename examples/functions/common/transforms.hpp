// The message transformations of the example container functions, as pure functions so
// they are unit-tested without sockets (tests/unit/functions_transforms_test.cpp).
// Behaviours follow the prototype (docs: reference/scenarios.md, "Functions").
#pragma once

#include <string>
#include <string_view>

namespace chima::fn {

// toupper: ASCII upper case; other bytes unchanged.
inline std::string to_upper(std::string_view msg) {
    std::string out(msg);
    for (char& c : out) {
        if (c >= 'a' && c <= 'z')
            c = static_cast<char>(c - 'a' + 'A');
    }
    return out;
}

// replace: A->4, E->3, I->1, O->0 (upper case only, as in the prototype: it runs after toupper).
inline std::string replace_vowels(std::string_view msg) {
    std::string out(msg);
    for (char& c : out) {
        switch (c) {
            case 'A':
                c = '4';
                break;
            case 'E':
                c = '3';
                break;
            case 'I':
                c = '1';
                break;
            case 'O':
                c = '0';
                break;
            default:
                break;
        }
    }
    return out;
}

// widen: one space between consecutive characters ("H3LL0" -> "H 3 L L 0").
inline std::string widen(std::string_view msg) {
    std::string out;
    out.reserve(msg.size() * 2);
    for (size_t i = 0; i < msg.size(); ++i) {
        if (i > 0)
            out.push_back(' ');
        out.push_back(msg[i]);
    }
    return out;
}

// echo: the chain's last function answers with this prefix.
inline std::string echo_reply(std::string_view msg) {
    return "echo: " + std::string(msg);
}

}  // namespace chima::fn
