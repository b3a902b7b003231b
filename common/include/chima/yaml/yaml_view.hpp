// Reading YAML input files so that every error names file:line:col.
//
// A YamlView is a yaml-cpp node plus the file it came from. Accessors convert and validate
// the value and throw InputError at the node's position when it does not fit.
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "chima/error.hpp"
#include "chima/units.hpp"

namespace chima {

class YamlView {
  public:
    YamlView(YAML::Node node, std::string file) : node_(std::move(node)), file_(std::move(file)) {}

    // Parses a file; syntax errors become InputError with the parser's position.
    static YamlView load_file(const std::string& path);
    // Parses text as if read from `file` (for tests and stdin).
    static YamlView load_text(const std::string& text, const std::string& file);

    SourceMark mark() const;
    const std::string& file() const { return file_; }
    const YAML::Node& node() const { return node_; }

    bool is_map() const { return node_.IsMap(); }
    bool is_seq() const { return node_.IsSequence(); }
    bool is_null() const { return !node_ || node_.IsNull(); }

    // Throws unless the node is a map / a sequence.
    const YamlView& expect_map(const std::string& what) const;
    const YamlView& expect_seq(const std::string& what) const;

    bool has(const std::string& key) const;
    // The value under `key`; InputError "missing key 'key'" at this map's position.
    YamlView at(const std::string& key) const;
    std::optional<YamlView> get(const std::string& key) const;
    // InputError at the first key not in `allowed` (catches typos in input files).
    void allow_keys(std::initializer_list<const char*> allowed) const;

    // Elements of a sequence / entries of a map (key view, value view) in document order.
    std::vector<YamlView> items() const;
    std::vector<std::pair<YamlView, YamlView>> entries() const;

    // Scalar conversions; each throws InputError at this node when the value does not fit.
    std::string str() const;
    int64_t integer(int64_t min, int64_t max) const;
    double number() const;
    bool boolean() const;
    Nanoseconds duration() const;           // "5ms"
    Nanoseconds positive_duration() const;  // > 0
    Ipv4 ipv4() const;
    Mac mac() const;
    std::string name() const;                   // the one rule of names (chima/names.hpp)
    std::string path() const;                   // $VAR expanded
    std::vector<std::string> str_list() const;  // a scalar or a sequence of scalars

    [[noreturn]] void fail(const std::string& message) const;

  private:
    YAML::Node node_;
    std::string file_;
};

}  // namespace chima
