// service.yaml (native format) -> Service.
#include <algorithm>
#include <map>
#include <set>

#include "chima/capabilities.hpp"
#include "chima/model/service.hpp"
#include "chima/state_file.hpp"
#include "chima/yaml/yaml_view.hpp"

namespace chima {

const char* to_string(FunctionType t) {
    return t == FunctionType::P4 ? "p4" : "container";
}

namespace {

SlaSection parse_sla(const YamlView& v) {
    v.expect_map("sla");
    v.allow_keys({"latency", "jitter"});
    SlaSection s;
    if (auto l = v.get("latency"))
        s.latency = l->positive_duration();
    if (auto j = v.get("jitter"))
        s.jitter = j->positive_duration();
    if (s.empty())
        v.fail("an sla needs latency and/or jitter");
    return s;
}

std::vector<std::pair<std::string, std::string>> parse_pairs(const YamlView& v,
                                                             const std::string& what) {
    v.expect_map(what);
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [k, val] : v.entries())
        out.emplace_back(k.str(), val.str());
    return out;
}

TableEntry parse_entry(const YamlView& v) {
    v.expect_map("a table entry");
    v.allow_keys({"table", "match", "action", "params", "priority"});
    TableEntry e;
    e.mark = v.mark();
    e.table = v.at("table").str();
    if (auto m = v.get("match"))
        e.match = parse_pairs(*m, "match");
    e.action = v.at("action").str();
    if (auto p = v.get("params"))
        e.params = parse_pairs(*p, "params");
    if (auto p = v.get("priority"))
        e.priority = static_cast<int32_t>(p->integer(0, 1 << 30));
    return e;
}

// `capabilities:` a sequence of Linux capability names, each known to Linux and given once.
std::vector<std::string> parse_capabilities(const YamlView& v) {
    std::vector<std::string> out;
    for (const auto& item : v.expect_seq("capabilities").items()) {
        std::string text = item.str();
        auto number = capability_number(text);
        if (!number) {
            item.fail("unknown Linux capability '" + text +
                      "' (expected a name such as NET_RAW or CAP_NET_BIND_SERVICE)");
        }
        std::string name = capability_name(*number);
        if (std::find(out.begin(), out.end(), name) != out.end())
            item.fail("capability " + name + " listed twice");
        out.push_back(name);
    }
    return out;
}

Function parse_function(const YamlView& v) {
    v.expect_map("a function");
    v.allow_keys({"name", "type", "file", "control", "entries", "image", "build", "command", "env",
                  "capabilities", "port", "ip", "sla", "next"});
    Function f;
    f.mark = v.mark();
    f.name = v.at("name").name();
    std::string type = v.at("type").str();
    if (type == "p4") {
        f.type = FunctionType::P4;
        f.file = v.at("file").path();
        f.control = v.at("control").str();
        if (auto es = v.get("entries")) {
            for (const auto& e : es->expect_seq("entries").items())
                f.entries.push_back(parse_entry(e));
        }
        for (const char* k : {"image", "build", "command", "env", "capabilities", "port", "ip"}) {
            if (v.has(k))
                v.at(k).fail(std::string("'") + k + "' is for container functions, '" + f.name +
                             "' is a p4 function");
        }
    } else if (type == "container") {
        f.type = FunctionType::Container;
        if (auto i = v.get("image")) {
            f.image = i->str();
            if (auto problem = image_ref_problem(f.image); !problem.empty())
                i->fail("invalid image '" + f.image + "': " + problem);
        }
        if (auto b = v.get("build"))
            f.build = b->path();
        if (f.image.empty() && f.build.empty()) {
            v.fail("container function '" + f.name + "' needs 'image' or 'build'");
        }
        if (auto c = v.get("command"))
            f.command = c->str_list();
        if (auto e = v.get("env")) {
            for (const auto& [k, val] : e->expect_map("env").entries()) {
                if (auto problem = env_name_problem(k.str()); !problem.empty())
                    k.fail("invalid environment variable name '" + k.str() + "': " + problem);
                f.env[k.str()] = val.str();
            }
        }
        if (auto caps = v.get("capabilities"))
            f.capabilities = parse_capabilities(*caps);
        if (auto p = v.get("port"))
            f.port = static_cast<uint16_t>(p->integer(1, 65535));
        if (auto ip = v.get("ip"))
            f.ip = ip->ipv4();
        for (const char* k : {"file", "control", "entries"}) {
            if (v.has(k))
                v.at(k).fail(std::string("'") + k + "' is for p4 functions, '" + f.name +
                             "' is a container function");
        }
    } else {
        v.at("type").fail("unknown function type '" + type + "' (expected p4 or container)");
    }
    if (auto s = v.get("sla"))
        f.sla = parse_sla(*s);
    return f;
}

Chain parse_chain(const YamlView& v) {
    v.expect_map("a chain");
    v.allow_keys({"kind", "version", "chain", "client", "sla", "alpha", "poll", "functions"});
    Chain c;
    c.mark = v.mark();
    c.name = v.at("chain").name();
    const YamlView client = v.at("client");
    client.expect_map("client");
    client.allow_keys({"ip", "port", "protocol"});
    c.client.mark = client.mark();
    c.client.ip = client.at("ip").ipv4();
    if (auto p = client.get("port"))
        c.client.port = static_cast<uint16_t>(p->integer(1, 65535));
    if (auto p = client.get("protocol")) {
        c.client.protocol = p->str();
        if (c.client.protocol != "udp" && c.client.protocol != "tcp") {
            p->fail("unknown protocol '" + c.client.protocol + "' (expected udp or tcp)");
        }
    }
    c.sla = parse_sla(v.at("sla"));
    if (auto a = v.get("alpha")) {
        c.alpha = a->number();
        if (!(c.alpha > 0.0 && c.alpha <= 1.0))
            a->fail("alpha must be in (0, 1]");
    }
    if (auto p = v.get("poll"))
        c.poll = p->positive_duration();

    const YamlView fs = v.at("functions");
    fs.expect_seq("functions");
    std::vector<Function> functions;
    std::vector<std::pair<std::string, SourceMark>> next;
    bool any_next = false;
    std::set<std::string> names;
    for (const auto& fv : fs.items()) {
        Function f = parse_function(fv);
        if (!names.insert(f.name).second)
            fv.at("name").fail("duplicate function '" + f.name + "'");
        if (auto n = fv.get("next")) {
            any_next = true;
            next.emplace_back(n->str(), n->mark());
        } else {
            next.emplace_back("", fv.mark());
        }
        functions.push_back(std::move(f));
    }
    if (functions.empty())
        fs.fail("a chain needs at least one function");
    c.functions =
        any_next ? order_by_next(std::move(functions), next, fs.mark()) : std::move(functions);
    return c;
}

}  // namespace

std::vector<Function> order_by_next(std::vector<Function> functions,
                                    const std::vector<std::pair<std::string, SourceMark>>& next,
                                    const SourceMark& where) {
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < functions.size(); ++i)
        index[functions[i].name] = i;
    std::vector<int> referenced(functions.size(), 0);
    for (size_t i = 0; i < functions.size(); ++i) {
        const auto& [n, mark] = next[i];
        if (n.empty())
            continue;
        auto it = index.find(n);
        if (it == index.end()) {
            throw InputError(mark,
                             "function '" + functions[i].name + "': unknown next '" + n + "'");
        }
        if (it->second == i) {
            throw InputError(mark, "function '" + n + "' names itself as next (a cycle)");
        }
        if (++referenced[it->second] > 1) {
            throw InputError(mark, "function '" + n +
                                       "' is the next of two functions (a chain has one successor "
                                       "per function)");
        }
    }
    std::vector<size_t> heads;
    for (size_t i = 0; i < functions.size(); ++i)
        if (!referenced[i])
            heads.push_back(i);
    if (heads.empty())
        throw InputError(where, "the chain is a cycle: no function is its head");
    if (heads.size() > 1) {
        throw InputError(functions[heads[1]].mark,
                         "the chain has a gap: both '" + functions[heads[0]].name + "' and '" +
                             functions[heads[1]].name + "' have no predecessor");
    }
    std::vector<Function> ordered;
    std::vector<bool> seen(functions.size(), false);
    for (size_t i = heads[0];;) {
        if (seen[i]) {
            throw InputError(next[i].second,
                             "the chain has a cycle through '" + functions[i].name + "'");
        }
        seen[i] = true;
        ordered.push_back(functions[i]);
        if (next[i].first.empty())
            break;
        i = index.at(next[i].first);
    }
    for (size_t i = 0; i < functions.size(); ++i) {
        if (!seen[i]) {
            throw InputError(functions[i].mark, "the chain has a cycle or a gap: function '" +
                                                    functions[i].name +
                                                    "' is not reachable from its head '" +
                                                    functions[heads[0]].name + "'");
        }
    }
    return ordered;
}

Service parse_service(const std::string& text, const std::string& file) {
    YamlView root = YamlView::load_text(text, file);
    root.expect_map("service");
    if (auto k = root.get("kind"); k && k->str() != "chima.service") {
        k->fail("wrong kind '" + k->str() + "', expected 'chima.service'");
    }
    Service s;
    s.file = file;
    if (auto cs = root.get("chains")) {
        root.allow_keys({"kind", "version", "chains"});
        for (const auto& cv : cs->expect_seq("chains").items())
            s.chains.push_back(parse_chain(cv));
        if (s.chains.empty())
            cs->fail("no chains");
    } else {
        s.chains.push_back(parse_chain(root));
    }
    std::set<std::string> names;
    for (const auto& c : s.chains) {
        if (!names.insert(c.name).second)
            throw InputError(c.mark, "duplicate chain '" + c.name + "'");
    }
    return s;
}

Service load_service(const std::string& path) {
    return parse_service(read_file(path), path);
}

}  // namespace chima
