#include "chima/yaml/yaml_view.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>
#include <string_view>
#include <sstream>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "chima/state_file.hpp"

namespace chima {

namespace {
SourceMark to_mark(const YAML::Mark& m, const std::string& file) {
    if (m.is_null())
        return SourceMark{file, 0, 0};
    return SourceMark{file, m.line + 1, m.column + 1};
}

// yaml-cpp keeps the first of two equal keys and drops the second without a word, and an
// alias repeats a node wherever it is used: the walk looks at every mapping once per use,
// up to this many nodes (a few aliases of aliases expand to billions).
constexpr size_t kMaxVisitedNodes = 1'000'000;

// InputError at the second of two equal keys of any mapping in the document.
void refuse_duplicate_keys(const YAML::Node& root, const std::string& file) {
    std::vector<YAML::Node> pending{root};
    size_t visited = 0;
    while (!pending.empty()) {
        YAML::Node node = pending.back();
        pending.pop_back();
        if (++visited > kMaxVisitedNodes) {
            throw InputError(to_mark(node.Mark(), file),
                             "the document has more than " + std::to_string(kMaxVisitedNodes) +
                                 " nodes once its aliases are expanded");
        }
        if (node.IsMap()) {
            std::set<std::string> keys;
            for (auto it = node.begin(); it != node.end(); ++it) {
                if (it->first.IsScalar()) {
                    const std::string& key = it->first.Scalar();
                    if (!keys.insert(key).second) {
                        throw InputError(to_mark(it->first.Mark(), file),
                                         "duplicate key '" + key + "'");
                    }
                }
                pending.push_back(it->first);
                pending.push_back(it->second);
            }
        } else if (node.IsSequence()) {
            for (const auto& item : node)
                pending.push_back(item);
        }
    }
}

// Where the second document of a stream starts: where the parser saw it begin, else its
// "---" line.
SourceMark second_document_mark(const YAML::Mark& start, const std::string& text,
                                const std::string& file) {
    if (!start.is_null() && start.line > 0)
        return to_mark(start, file);
    int line = 1, markers = 0;
    bool content = false;
    for (size_t i = 0; i < text.size();) {
        size_t end = text.find('\n', i);
        std::string_view row(text.data() + i, (end == std::string::npos ? text.size() : end) - i);
        if (row.substr(0, 3) == "---" || row.substr(0, 3) == "...") {
            if (content || ++markers > 1 || row.substr(0, 3) == "...")
                return SourceMark{file, line, 1};
        } else if (!row.empty() && row[0] != '#' && row[0] != '%' && row[0] != ' ') {
            content = true;
        }
        if (end == std::string::npos)
            break;
        i = end + 1;
        ++line;
    }
    return SourceMark{file, line, 1};
}

// Sees where each document starts: its first node (its root), else its start.
class DocumentStarts : public YAML::EventHandler {
  public:
    std::vector<YAML::Mark> starts;
    void OnDocumentStart(const YAML::Mark& mark) override {
        starts.push_back(mark);
        root_seen_ = false;
    }
    void OnDocumentEnd() override {}
    // An empty document is named by its start ("---"), not by where its null ends.
    void OnNull(const YAML::Mark&, YAML::anchor_t) override { root_seen_ = true; }
    void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
    void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  const std::string&) override {
        node(mark);
    }
    void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {
        node(mark);
    }
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {
        node(mark);
    }
    void OnMapEnd() override {}

  private:
    void node(const YAML::Mark& mark) {
        if (!root_seen_ && !starts.empty() && !mark.is_null())
            starts.back() = mark;
        root_seen_ = true;
    }
    bool root_seen_ = false;
};

// Where the second document of `text` starts, if there is one. At most two documents are
// parsed: yaml-cpp's LoadAll can loop for ever on some malformed streams (found by
// fuzzing), each "document" it returns consuming nothing.
std::optional<YAML::Mark> second_document(const std::string& text) {
    std::istringstream in(text);
    YAML::Parser parser(in);
    DocumentStarts starts;
    if (!parser.HandleNextDocument(starts) || !parser.HandleNextDocument(starts))
        return std::nullopt;
    return starts.starts.size() > 1 ? starts.starts[1] : YAML::Mark::null_mark();
}

}  // namespace

YamlView YamlView::load_text(const std::string& text, const std::string& file) {
    YAML::Node root;
    std::optional<YAML::Mark> second;
    try {
        root = YAML::Load(text);
        second = second_document(text);
    } catch (const YAML::Exception& e) {
        throw InputError(to_mark(e.mark, file), "invalid YAML: " + e.msg);
    }
    if (second) {
        throw InputError(second_document_mark(*second, text, file),
                         "a second YAML document: an input file holds one document");
    }
    refuse_duplicate_keys(root, file);
    return YamlView(root, file);
}

YamlView YamlView::load_file(const std::string& path) {
    return load_text(read_file(path), path);
}

SourceMark YamlView::mark() const {
    if (!node_)
        return SourceMark{file_, 0, 0};
    return to_mark(node_.Mark(), file_);
}

void YamlView::fail(const std::string& message) const {
    throw InputError(mark(), message);
}

const YamlView& YamlView::expect_map(const std::string& what) const {
    if (!node_.IsMap())
        fail(what + " must be a mapping");
    return *this;
}

const YamlView& YamlView::expect_seq(const std::string& what) const {
    if (!node_.IsSequence())
        fail(what + " must be a list");
    return *this;
}

bool YamlView::has(const std::string& key) const {
    return node_.IsMap() && node_[key] && !node_[key].IsNull();
}

YamlView YamlView::at(const std::string& key) const {
    if (!node_.IsMap())
        fail("expected a mapping with key '" + key + "'");
    YAML::Node v = node_[key];
    if (!v || v.IsNull())
        fail("missing key '" + key + "'");
    return YamlView(v, file_);
}

std::optional<YamlView> YamlView::get(const std::string& key) const {
    if (!has(key))
        return std::nullopt;
    return YamlView(node_[key], file_);
}

void YamlView::allow_keys(std::initializer_list<const char*> allowed) const {
    if (!node_.IsMap())
        return;
    for (auto it = node_.begin(); it != node_.end(); ++it) {
        std::string k = it->first.Scalar();
        bool ok = false;
        for (const char* a : allowed)
            ok = ok || k == a;
        if (!ok) {
            std::string list;
            for (const char* a : allowed)
                list += std::string(list.empty() ? "" : ", ") + a;
            throw InputError(to_mark(it->first.Mark(), file_),
                             "unknown key '" + k + "' (expected one of: " + list + ")");
        }
    }
}

std::vector<YamlView> YamlView::items() const {
    std::vector<YamlView> out;
    if (!node_.IsSequence())
        return out;
    for (const auto& n : node_)
        out.emplace_back(n, file_);
    return out;
}

std::vector<std::pair<YamlView, YamlView>> YamlView::entries() const {
    std::vector<std::pair<YamlView, YamlView>> out;
    if (!node_.IsMap())
        return out;
    for (auto it = node_.begin(); it != node_.end(); ++it) {
        out.emplace_back(YamlView(it->first, file_), YamlView(it->second, file_));
    }
    return out;
}

std::string YamlView::str() const {
    if (!node_.IsScalar())
        fail("expected a single value");
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
    if (used != s.size())
        fail("expected an integer, got '" + s + "'");
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
    if (used != s.size() || !std::isfinite(v))
        fail("expected a number, got '" + s + "'");
    return v;
}

bool YamlView::boolean() const {
    std::string s = str();
    if (s == "true" || s == "yes" || s == "on")
        return true;
    if (s == "false" || s == "no" || s == "off")
        return false;
    fail("expected true or false, got '" + s + "'");
}

Nanoseconds YamlView::duration() const {
    std::string s = str();
    auto d = parse_duration(s);
    if (!d)
        fail("expected a duration such as 5ms, 250us or 1s, got '" + s + "'");
    return *d;
}

Nanoseconds YamlView::positive_duration() const {
    Nanoseconds d = duration();
    if (d <= 0)
        fail("must be greater than 0, got '" + str() + "'");
    return d;
}

Ipv4 YamlView::ipv4() const {
    std::string s = str();
    auto a = Ipv4::parse(s);
    if (!a)
        fail("expected an IPv4 address, got '" + s + "'");
    return *a;
}

Mac YamlView::mac() const {
    std::string s = str();
    auto a = Mac::parse(s);
    if (!a)
        fail("expected a MAC address such as 02:00:00:00:00:01, got '" + s + "'");
    return *a;
}

std::string YamlView::name() const {
    std::string s = str();
    if (auto problem = name_problem(s); !problem.empty()) {
        throw InputError(mark(), "invalid name '" + s + "': " + problem, kNameRule);
    }
    return s;
}

std::string YamlView::path() const {
    std::string s = str();
    std::string problem;
    auto p = expand_env(s, &problem);
    if (!p)
        fail(problem + " (in '" + s + "')");
    return *p;
}

std::vector<std::string> YamlView::str_list() const {
    if (node_.IsScalar())
        return {node_.Scalar()};
    if (!node_.IsSequence())
        fail("expected a value or a list of values");
    std::vector<std::string> out;
    for (const auto& item : items())
        out.push_back(item.str());
    return out;
}

}  // namespace chima
