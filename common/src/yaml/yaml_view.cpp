#include "chima/yaml/yaml_view.hpp"

#include <cmath>
#include <sstream>

#include "chima/state_file.hpp"

namespace chima {

namespace {
SourceMark to_mark(const YAML::Mark& m, const std::string& file) {
    if (m.is_null()) return SourceMark{file, 0, 0};
    return SourceMark{file, m.line + 1, m.column + 1};
}
}  // namespace

YamlView YamlView::load_text(const std::string& text, const std::string& file) {
    try {
        YAML::Node root = YAML::Load(text);
        return YamlView(root, file);
    } catch (const YAML::Exception& e) {
        throw InputError(to_mark(e.mark, file), "invalid YAML: " + e.msg);
    }
}

YamlView YamlView::load_file(const std::string& path) { return load_text(read_file(path), path); }

SourceMark YamlView::mark() const {
    if (!node_) return SourceMark{file_, 0, 0};
    return to_mark(node_.Mark(), file_);
}

void YamlView::fail(const std::string& message) const { throw InputError(mark(), message); }

const YamlView& YamlView::expect_map(const std::string& what) const {
    if (!node_.IsMap()) fail(what + " must be a mapping");
    return *this;
}

const YamlView& YamlView::expect_seq(const std::string& what) const {
    if (!node_.IsSequence()) fail(what + " must be a list");
    return *this;
}

bool YamlView::has(const std::string& key) const {
    return node_.IsMap() && node_[key] && !node_[key].IsNull();
}

YamlView YamlView::at(const std::string& key) const {
    if (!node_.IsMap()) fail("expected a mapping with key '" + key + "'");
    YAML::Node v = node_[key];
    if (!v || v.IsNull()) fail("missing key '" + key + "'");
    return YamlView(v, file_);
}

std::optional<YamlView> YamlView::get(const std::string& key) const {
    if (!has(key)) return std::nullopt;
    return YamlView(node_[key], file_);
}

void YamlView::allow_keys(std::initializer_list<const char*> allowed) const {
    if (!node_.IsMap()) return;
    for (auto it = node_.begin(); it != node_.end(); ++it) {
        std::string k = it->first.Scalar();
        bool ok = false;
        for (const char* a : allowed) ok = ok || k == a;
        if (!ok) {
            std::string list;
            for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
            throw InputError(to_mark(it->first.Mark(), file_),
                             "unknown key '" + k + "' (expected one of: " + list + ")");
        }
    }
}

std::vector<YamlView> YamlView::items() const {
    std::vector<YamlView> out;
    if (!node_.IsSequence()) return out;
    for (const auto& n : node_) out.emplace_back(n, file_);
    return out;
}

std::vector<std::pair<YamlView, YamlView>> YamlView::entries() const {
    std::vector<std::pair<YamlView, YamlView>> out;
    if (!node_.IsMap()) return out;
    for (auto it = node_.begin(); it != node_.end(); ++it) {
        out.emplace_back(YamlView(it->first, file_), YamlView(it->second, file_));
    }
    return out;
}

std::string YamlView::str() const {
    if (!node_.IsScalar()) fail("expected a single value");
    return node_.Scalar();
}

int64_t YamlView::integer(int64_t min, int64_t max) const {
    std::string s = str();
    size_t used = 0;
    long long v = 0;
    try {
        v = std::stoll(s, &used, 0);
    } catch (const std::exception&) {
        fail("expected an integer, got '" + s + "'");
    }
    if (used != s.size()) fail("expected an integer, got '" + s + "'");
    if (v < min || v > max) {
        fail("value " + s + " out of range " + std::to_string(min) + ".." + std::to_string(max));
    }
    return v;
}

double YamlView::number() const {
    std::string s = str();
    size_t used = 0;
    double v = 0;
    try {
        v = std::stod(s, &used);
    } catch (const std::exception&) {
        fail("expected a number, got '" + s + "'");
    }
    if (used != s.size() || !std::isfinite(v)) fail("expected a number, got '" + s + "'");
    return v;
}

bool YamlView::boolean() const {
    std::string s = str();
    if (s == "true" || s == "yes" || s == "on") return true;
    if (s == "false" || s == "no" || s == "off") return false;
    fail("expected true or false, got '" + s + "'");
}

Nanoseconds YamlView::duration() const {
    std::string s = str();
    auto d = parse_duration(s);
    if (!d) fail("expected a duration such as 5ms, 250us or 1s, got '" + s + "'");
    return *d;
}

Nanoseconds YamlView::positive_duration() const {
    Nanoseconds d = duration();
    if (d <= 0) fail("must be greater than 0, got '" + str() + "'");
    return d;
}

Ipv4 YamlView::ipv4() const {
    std::string s = str();
    auto a = Ipv4::parse(s);
    if (!a) fail("expected an IPv4 address, got '" + s + "'");
    return *a;
}

Mac YamlView::mac() const {
    std::string s = str();
    auto a = Mac::parse(s);
    if (!a) fail("expected a MAC address such as 02:00:00:00:00:01, got '" + s + "'");
    return *a;
}

std::string YamlView::name() const {
    std::string s = str();
    if (!is_valid_name(s)) {
        fail("invalid name '" + s + "': use [a-z0-9][a-z0-9_-]*, at most 32 characters");
    }
    return s;
}

std::string YamlView::path() const {
    std::string s = str();
    std::string missing;
    auto p = expand_env(s, &missing);
    if (!p) fail("environment variable $" + missing + " is not set (in '" + s + "')");
    return *p;
}

std::vector<std::string> YamlView::str_list() const {
    if (node_.IsScalar()) return {node_.Scalar()};
    if (!node_.IsSequence()) fail("expected a value or a list of values");
    std::vector<std::string> out;
    for (const auto& item : items()) out.push_back(item.str());
    return out;
}

}  // namespace chima
