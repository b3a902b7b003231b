// Reading the JSON state documents (deployment.json, installed.json, routes.json, net.json)
// into their types: every error is an InputError naming the file and the JSON pointer of
// the offending value, e.g. "installed.json: at /functions/3/slot: expected an integer from
// 0 to 4294967295".
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "chima/units.hpp"

namespace chima {

// A value inside a JSON document, with the file it came from and its JSON pointer. It
// refers to the document: the document must outlive it.
class JsonReader {
  public:
    // The whole document `doc` of `file` (pointer "").
    JsonReader(const nlohmann::json& doc, std::string file, std::string pointer = {});

    [[noreturn]] void fail(const std::string& message) const;

    // A required member of an object.
    JsonReader at(const std::string& key) const;
    bool has(const std::string& key) const;
    // The elements of an array.
    std::vector<JsonReader> items() const;
    // The members of an object, in the document's order.
    std::vector<std::pair<std::string, JsonReader>> members() const;

    std::string str() const;
    // A string that follows the one rule of names (chima/names.hpp).
    std::string name() const;
    // A string built from names ("fn-<chain>-<function>"): the characters of the rule.
    std::string derived_name() const;
    int64_t integer() const;
    // An integer from min to max; `what` names it in the message ("switch id").
    int64_t integer(int64_t min, int64_t max, const std::string& what = "a value") const;
    uint32_t uint32() const;  // 0 to 2^32-1
    uint64_t uint64() const;  // any integer >= 0
    double number() const;
    bool boolean() const;
    Ipv4 ipv4() const;
    Mac mac() const;
    std::map<std::string, std::string> string_map() const;  // an object of strings

    const nlohmann::json& raw() const { return value_; }
    const std::string& pointer() const { return pointer_; }

  private:
    JsonReader child(const nlohmann::json& value, const std::string& token) const;

    const nlohmann::json& value_;
    std::string file_;
    std::string pointer_;
};

// An array of Linux capability names (chima/capabilities.hpp), canonical ("NET_RAW"); an
// unknown one fails at its pointer.
std::vector<std::string> capability_list(const JsonReader& array);

// Checks the "kind" and "version" of a state document with read_state's check
// (state_header_problem in state_file.hpp): a wrong kind, a missing or unknown version
// (outside 1..max_version) fail at the member's pointer. Returns the version.
int check_state_header(const JsonReader& doc, const std::string& kind, int max_version);

// The members of an object not named in `known`: what a reader keeps so that writing the
// document back loses nothing another tool added.
nlohmann::json unknown_members(const JsonReader& object, std::initializer_list<const char*> known);

}  // namespace chima
