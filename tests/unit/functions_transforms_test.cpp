// The example container functions' transformations (examples/functions/common/transforms.hpp).
#include <doctest/doctest.h>

#include "../../examples/functions/common/transforms.hpp"

using namespace chima::fn;

TEST_CASE("functions: toupper upper-cases ASCII letters only") {
    CHECK(to_upper("hello") == "HELLO");
    CHECK(to_upper("Mixed 123 z!") == "MIXED 123 Z!");
    CHECK(to_upper("") == "");
    CHECK(to_upper("\xc3\xa9") == "\xc3\xa9");  // bytes beyond ASCII pass through
}

TEST_CASE("functions: replace maps A E I O to 4 3 1 0 and nothing else") {
    CHECK(replace_vowels("HELLO") == "H3LL0");
    CHECK(replace_vowels("AEIOU") == "4310U");
    CHECK(replace_vowels("aeio") == "aeio");  // the prototype ran it after toupper
    CHECK(replace_vowels("") == "");
}

TEST_CASE("functions: widen puts one space between consecutive characters") {
    CHECK(widen("H3LL0") == "H 3 L L 0");
    CHECK(widen("A") == "A");
    CHECK(widen("") == "");
    CHECK(widen("ab c") == "a b   c");
}

TEST_CASE("functions: echo prefixes its answer") {
    CHECK(echo_reply("x") == "echo: x");
    CHECK(echo_reply("") == "echo: ");
}

TEST_CASE("functions: the reference chain turns hello into 'echo: H 3 L L 0'") {
    CHECK(echo_reply(widen(replace_vowels(to_upper("hello")))) == "echo: H 3 L L 0");
}
