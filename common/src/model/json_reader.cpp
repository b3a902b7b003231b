#include "chima/model/json_reader.hpp"

#include <algorithm>
#include <limits>

#include "chima/capabilities.hpp"
#include "chima/error.hpp"
#include "chima/names.hpp"
#include "chima/state_file.hpp"

namespace chima {

using nlohmann::json;

namespace {

// A key as a JSON pointer token (RFC 6901): "~" -> "~0", "/" -> "~1".
std::string pointer_token(const std::string& key) {
    std::string out;
    for (char c : key) {
        if (c == '~')
            out += "~0";
        else if (c == '/')
            out += "~1";
        else
            out += c;
    }
    return out;
}

}  // namespace

JsonReader::JsonReader(const json& doc, std::string file, std::string pointer)
    : value_(doc), file_(std::move(file)), pointer_(std::move(pointer)) {}

void JsonReader::fail(const std::string& message) const {
    throw InputError(SourceMark{file_, 0, 0},
                     "at " + (pointer_.empty() ? std::string("/") : pointer_) + ": " + message);
}

JsonReader JsonReader::child(const json& value, const std::string& token) const {
    return JsonReader(value, file_, pointer_ + "/" + token);
}

JsonReader JsonReader::at(const std::string& key) const {
    if (!value_.is_object())
        fail("expected an object");
    auto it = value_.find(key);
    if (it == value_.end())
        fail("missing \"" + key + "\"");
    return child(*it, pointer_token(key));
}

bool JsonReader::has(const std::string& key) const {
    return value_.is_object() && value_.contains(key);
}

std::vector<JsonReader> JsonReader::items() const {
    if (!value_.is_array())
        fail("expected an array");
    std::vector<JsonReader> out;
    for (size_t i = 0; i < value_.size(); ++i)
        out.push_back(child(value_[i], std::to_string(i)));
    return out;
}

std::vector<std::pair<std::string, JsonReader>> JsonReader::members() const {
    if (!value_.is_object())
        fail("expected an object");
    std::vector<std::pair<std::string, JsonReader>> out;
    for (auto it = value_.begin(); it != value_.end(); ++it)
        out.emplace_back(it.key(), child(it.value(), pointer_token(it.key())));
    return out;
}

std::string JsonReader::str() const {
    if (!value_.is_string())
        fail("expected a string");
    return value_.get<std::string>();
}

std::string JsonReader::name() const {
    std::string s = str();
    if (auto problem = name_problem(s); !problem.empty())
        fail("invalid name '" + s + "': " + problem + " (" + kNameRule + ")");
    return s;
}

std::string JsonReader::derived_name() const {
    std::string s = str();
    if (auto problem = derived_name_problem(s); !problem.empty())
        fail("invalid name '" + s + "': " + problem);
    return s;
}

int64_t JsonReader::integer(int64_t min, int64_t max, const std::string& what) const {
    if (!value_.is_number_integer() ||
        (value_.is_number_unsigned() &&
         value_.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))) {
        fail("expected an integer from " + std::to_string(min) + " to " + std::to_string(max));
    }
    int64_t v = value_.get<int64_t>();
    if (v < min || v > max) {
        fail(what + " " + std::to_string(v) + " is out of range " + std::to_string(min) + ".." +
             std::to_string(max));
    }
    return v;
}

int64_t JsonReader::integer() const {
    if (!value_.is_number_integer())
        fail("expected an integer");
    // nlohmann holds a value above INT64_MAX unsigned; read as int64_t it would wrap negative.
    if (value_.is_number_unsigned() &&
        value_.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        fail("expected an integer up to 9223372036854775807");
    }
    return value_.get<int64_t>();
}

uint64_t JsonReader::uint64() const {
    if (value_.is_number_unsigned())
        return value_.get<uint64_t>();
    if (!value_.is_number_integer() || value_.get<int64_t>() < 0)
        fail("expected an integer >= 0");
    return static_cast<uint64_t>(value_.get<int64_t>());
}

uint32_t JsonReader::uint32() const {
    if (!value_.is_number_integer() || value_.get<int64_t>() < 0 ||
        value_.get<int64_t>() > std::numeric_limits<uint32_t>::max()) {
        fail("expected an integer from 0 to 4294967295");
    }
    return static_cast<uint32_t>(value_.get<int64_t>());
}

double JsonReader::number() const {
    if (!value_.is_number())
        fail("expected a number");
    return value_.get<double>();
}

bool JsonReader::boolean() const {
    if (!value_.is_boolean())
        fail("expected true or false");
    return value_.get<bool>();
}

Ipv4 JsonReader::ipv4() const {
    auto v = Ipv4::parse(str());
    if (!v)
        fail("expected an IPv4 address");
    return *v;
}

Mac JsonReader::mac() const {
    auto v = Mac::parse(str());
    if (!v)
        fail("expected a MAC address");
    return *v;
}

std::map<std::string, std::string> JsonReader::string_map() const {
    std::map<std::string, std::string> out;
    for (const auto& [key, value] : members())
        out[key] = value.str();
    return out;
}

std::vector<std::string> capability_list(const JsonReader& array) {
    std::vector<std::string> out;
    for (const auto& item : array.items()) {
        auto number = capability_number(item.str());
        if (!number)
            item.fail("unknown Linux capability '" + item.str() + "'");
        out.push_back(capability_name(*number));
    }
    return out;
}

int check_state_header(const JsonReader& doc, const std::string& kind, int max_version) {
    if (auto problem = state_header_problem(doc.raw(), kind, max_version)) {
        if (!problem->member.empty() && doc.has(problem->member))
            doc.at(problem->member).fail(problem->message);
        doc.fail(problem->message);
    }
    return static_cast<int>(doc.at("version").uint32());
}

json unknown_members(const JsonReader& object, std::initializer_list<const char*> known) {
    json out = json::object();
    for (const auto& [key, value] : object.members()) {
        bool listed = std::any_of(known.begin(), known.end(),
                                  [&key = key](const char* k) { return key == k; });
        if (!listed)
            out[key] = value.raw();
    }
    return out;
}

}  // namespace chima
