// The one rule for names. Everything a user names that becomes part of a pin path, a network
// namespace, a container, a file name or a command line follows it: network names (--net,
// topology.name), switch, host, client, collector and link end names, chain and function
// names, placement targets, a flow's pusher and path, the names in every state file.
//
//   [a-z0-9][a-z0-9_-]*, 1..32 characters
//
// No dots (so "chima.<net>.<node>" splits unambiguously and no name is "." or ".."), no
// slash, no white space or shell metacharacters, no upper case (container engines refuse
// it in some places and accept it in others). See chima-formats(5), NAMES.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace chima {

inline constexpr size_t kMaxNameLength = 32;
// A name built from names and fixed parts ("chima-<net>-<chain>-<function>-b",
// "fn-<chain>-<function>"): the same characters, longer.
inline constexpr size_t kMaxDerivedNameLength = 128;

// What is wrong with `name` under the rule ("" when nothing is).
std::string name_problem(std::string_view name);
bool is_valid_name(std::string_view name);

// The same for a derived name (the characters of the rule, up to kMaxDerivedNameLength).
std::string derived_name_problem(std::string_view name);

// What is wrong with a container image reference ("" when nothing): it reaches a container
// engine's command line as an argument, so it may not start with '-' and holds only
// [A-Za-z0-9._/:@+-] (registry, path, tag, digest), at most 255 characters.
std::string image_ref_problem(std::string_view ref);

// What is wrong with an environment variable's name ("" when nothing): [A-Za-z_][A-Za-z0-9_]*.
std::string env_name_problem(std::string_view name);

// Throws InputError '<what> "<name>" is not valid: <problem>' (with the rule as the hint).
void check_name(const std::string& name, const std::string& what);

// The rule in words, for hints and messages.
inline constexpr const char* kNameRule =
    "a name is 1..32 characters from [a-z0-9_-], starting with a letter or a digit";

}  // namespace chima
