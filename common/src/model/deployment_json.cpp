// Deployment <-> JSON (deployment.json). The JSON is the contract between the tools: see
// chima-formats(5). Readers reject a wrong kind/version and name the JSON path of errors.
#include <functional>
#include <limits>
#include <map>
#include <set>

#include "chima/host_port.hpp"
#include "chima/model/deployment.hpp"
#include "chima/model/json_reader.hpp"
#include "chima/state_file.hpp"

namespace chima {

using nlohmann::json;

std::string PlacedFunction::netns() const {
    return "fn-" + chain + "-" + spec.name;
}

std::string Segment::key() const {
    return kind == SegmentKind::Link ? a + "-" + b : "fn:" + function;
}

const PlacedFunction* Deployment::find_function(const std::string& chain,
                                                const std::string& name) const {
    for (const auto& f : functions)
        if (f.chain == chain && f.spec.name == name)
            return &f;
    return nullptr;
}

std::vector<ForwardingEntry> Deployment::forwarding_entries(const std::string& sw) const {
    return chima::forwarding_entries(sw, endpoints, next_port);
}

namespace {

json sla_json(const SlaSection& s) {
    json j = json::object();
    if (s.latency)
        j["latency_ns"] = s.latency;
    if (s.jitter)
        j["jitter_ns"] = s.jitter;
    return j;
}

json attachment_json(const Attachment& a) {
    return {{"switch", a.sw}, {"port", a.port}, {"delay_ns", a.delay}};
}

json endpoint_json(const Endpoint& e) {
    json j = {{"name", e.name},
              {"ip", e.ip.str()},
              {"mac", e.mac.str()},
              {"attach", attachment_json(e.at)}};
    if (!e.agent.empty())
        j["agent"] = e.agent;
    return j;
}

json segment_json(const Segment& s) {
    if (s.kind == SegmentKind::Link) {
        return {{"type", "link"}, {"key", s.key()}, {"a", s.a},
                {"b", s.b},       {"a_id", s.a_id}, {"b_id", s.b_id}};
    }
    return {{"type", "function"},
            {"key", s.key()},
            {"function", s.function},
            {"function_id", s.function_id}};
}

json stack_json(const LabelStack& st) {
    json arr = json::array();
    for (const auto& sid : st.segments()) {
        json e = {{"label", sid.label()}, {"sid", SegmentId::kind_name(sid.kind())}};
        if (sid.kind() != SidKind::IntToHost)
            e["arg"] = sid.arg();
        arr.push_back(e);
    }
    return arr;
}

json function_json(const PlacedFunction& f) {
    const Function& s = f.spec;
    json j = {{"chain", f.chain}, {"name", s.name}, {"type", to_string(s.type)}, {"node", f.node}};
    if (s.sla)
        j["sla"] = sla_json(*s.sla);
    if (s.type == FunctionType::P4) {
        j["slot"] = f.slot;
        j["sid"] = SegmentId::function(f.slot).label();
        j["file"] = s.file;
        j["control"] = s.control;
        json entries = json::array();
        for (const auto& e : s.entries) {
            json m = json::object(), p = json::object();
            for (const auto& [k, v] : e.match)
                m[k] = v;
            for (const auto& [k, v] : e.params)
                p[k] = v;
            entries.push_back({{"table", e.table},
                               {"match", m},
                               {"action", e.action},
                               {"params", p},
                               {"priority", e.priority}});
        }
        j["entries"] = entries;
    } else {
        j["function_id"] = f.function_id;
        j["end_sid"] = SegmentId::function_end(f.function_id).label();
        j["ip"] = f.ip.str();
        j["mac"] = f.mac.str();
        j["netns"] = f.netns();
        j["port"] = s.port;
        if (!s.image.empty())
            j["image"] = s.image;
        if (!s.build.empty())
            j["build"] = s.build;
        j["command"] = s.command;
        j["env"] = s.env;
        if (!s.capabilities.empty())
            j["capabilities"] = s.capabilities;
    }
    return j;
}

}  // namespace

json topology_to_json(const Topology& t) {
    json sw = json::array(), hosts = json::array(), links = json::array();
    for (const auto& s : t.switches) {
        json j = {
            {"name", s.name}, {"id", s.id}, {"target", to_string(s.target)}, {"slots", s.slots}};
        if (!s.address.empty()) {
            j["address"] = s.address;
            j["device_id"] = s.device_id;
        }
        sw.push_back(j);
    }
    for (const auto& h : t.hosts) {
        json j = {{"name", h.name},
                  {"ip", h.ip.str()},
                  {"mac", h.mac.str()},
                  {"attach", attachment_json(h.at)},
                  {"capacity", h.capacity}};
        if (!h.agent.empty())
            j["agent"] = h.agent;
        hosts.push_back(j);
    }
    for (const auto& l : t.links) {
        links.push_back({{"name", l.name()},
                         {"a", l.a},
                         {"b", l.b},
                         {"a_port", l.a_port},
                         {"b_port", l.b_port},
                         {"delay_ns", l.delay}});
    }
    json j = {{"name", t.name}, {"file", t.file}, {"switches", sw},
              {"hosts", hosts}, {"links", links}, {"client", endpoint_json(t.client)}};
    json col = {{"udp_port", t.collector.udp_port}, {"separate", t.collector.separate}};
    if (t.collector.separate)
        col["endpoint"] = endpoint_json(t.collector.endpoint);
    j["collector"] = col;
    return j;
}

json to_json(const Deployment& d) {
    json doc = new_state(kDeploymentKind, kDeploymentVersion);
    doc["id"] = d.id;
    doc["topology"] = topology_to_json(d.topology);
    json chains = json::array();
    for (const auto& c : d.chains) {
        chains.push_back({{"name", c.name},
                          {"client",
                           {{"ip", c.client.ip.str()},
                            {"port", c.client.port},
                            {"protocol", c.client.protocol}}},
                          {"sla", sla_json(c.sla)},
                          {"alpha", c.alpha},
                          {"poll_ns", c.poll},
                          {"functions", c.functions}});
    }
    doc["chains"] = chains;
    json fns = json::array();
    for (const auto& f : d.functions)
        fns.push_back(function_json(f));
    doc["functions"] = fns;
    json flows = json::array();
    for (const auto& f : d.flows) {
        flows.push_back({{"chain", f.chain},
                         {"direction", f.direction},
                         {"src", f.src},
                         {"dst", f.dst},
                         {"src_ip", f.src_ip.str()},
                         {"dst_ip", f.dst_ip.str()},
                         {"pusher", f.pusher},
                         {"path", f.path},
                         {"stack", stack_json(f.stack)}});
    }
    doc["flows"] = flows;
    json sections = json::array();
    for (const auto& s : d.sections) {
        json segs = json::array();
        for (const auto& seg : s.segments)
            segs.push_back(segment_json(seg));
        sections.push_back(
            {{"chain", s.chain}, {"name", s.name}, {"sla", sla_json(s.sla)}, {"segments", segs}});
    }
    doc["sections"] = sections;
    json eps = json::array();
    for (const auto& e : d.endpoints) {
        eps.push_back({{"name", e.name},
                       {"kind", e.kind},
                       {"ip", e.ip.str()},
                       {"mac", e.mac.str()},
                       {"switch", e.sw},
                       {"port", e.port}});
    }
    doc["endpoints"] = eps;
    doc["next_port"] = d.next_port;
    return doc;
}

// ---- reading -------------------------------------------------------------------------
//
// Every value is checked where it is read, so that an error names its JSON pointer: names
// follow the one rule (chima/names.hpp), numbers their ranges (switch ids 14 bits, slots and
// container function ids 18 bits, labels 20 bits, ports), and every reference (a function's
// node, a flow's pusher and path, a section's segments, an endpoint's switch) names something
// the document has. A deployment that reads is one the tools can act on without failing
// half-way on its content.

namespace {

// INT carries a switch id in 14 bits; 0 means none.
constexpr int64_t kMaxSwitchId = 0x3FFF;
// Switch ports: the pipeline's port maps hold 1..511.
constexpr int64_t kMaxSwitchPort = 511;

int64_t read_positive_ns(const JsonReader& r, const char* what) {
    return r.integer(1, std::numeric_limits<int64_t>::max(), what);
}

SlaSection read_sla(const JsonReader& r) {
    SlaSection s;
    if (r.has("latency_ns"))
        s.latency = read_positive_ns(r.at("latency_ns"), "latency_ns");
    if (r.has("jitter_ns"))
        s.jitter = read_positive_ns(r.at("jitter_ns"), "jitter_ns");
    return s;
}

uint32_t read_port(const JsonReader& r) {
    return static_cast<uint32_t>(r.integer(1, kMaxSwitchPort, "switch port"));
}

uint16_t read_udp_port(const JsonReader& r) {
    return static_cast<uint16_t>(r.integer(1, 65535, "port"));
}

Attachment read_attachment(const JsonReader& r) {
    return {r.at("switch").name(), read_port(r.at("port")),
            r.at("delay_ns").integer(0, std::numeric_limits<int64_t>::max(), "delay_ns")};
}

// A device's address (HOST:PORT), or an error at its JSON path.
std::string device_address(const JsonReader& r) {
    std::string text = r.str(), problem;
    if (!parse_host_port(text, &problem))
        r.fail("address '" + text + "': " + problem);
    return text;
}

Endpoint read_endpoint(const JsonReader& r) {
    Endpoint e;
    e.name = r.at("name").name();
    e.ip = r.at("ip").ipv4();
    e.mac = r.at("mac").mac();
    e.at = read_attachment(r.at("attach"));
    if (r.has("agent"))
        e.agent = device_address(r.at("agent"));
    return e;
}

// The strings of an object, in the document's order.
std::vector<std::pair<std::string, std::string>> read_pairs(const JsonReader& r) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [k, v] : r.members())
        out.emplace_back(k, v.str());
    return out;
}

// A label of a stack: 20 bits in a CHIMA block, and its "sid" and "arg" (when written)
// saying the same as the label.
SegmentId read_stack_entry(const JsonReader& e) {
    JsonReader label = e.at("label");
    int64_t value = label.integer(0, (int64_t{1} << CHIMA_LABEL_BITS) - 1, "label");
    SegmentId sid = SegmentId::int_to_host();
    try {
        sid = SegmentId::decode(static_cast<uint32_t>(value));
    } catch (const InputError& err) {
        label.fail(err.what());
    }
    if (e.has("sid")) {
        std::string kind = e.at("sid").str();
        bool known = false;
        for (SidKind k :
             {SidKind::Function, SidKind::Adjacency, SidKind::IntToHost, SidKind::FunctionEnd}) {
            known = known || kind == SegmentId::kind_name(k);
        }
        if (!known) {
            e.at("sid").fail("unknown SID kind '" + kind +
                             "' (expected function, adjacency, int-to-host or function-end)");
        }
        if (kind != SegmentId::kind_name(sid.kind())) {
            e.at("sid").fail("SID kind '" + kind + "' contradicts label " + std::to_string(value) +
                             ", which is " + sid.str());
        }
    }
    if (e.has("arg") && e.at("arg").integer() != static_cast<int64_t>(sid.arg())) {
        e.at("arg").fail("argument " + std::to_string(e.at("arg").integer()) +
                         " contradicts label " + std::to_string(value) + ", which is " + sid.str());
    }
    return sid;
}

// The names a deployment's references may point at.
struct Names {
    std::map<std::string, const Switch*> switches;
    std::map<std::string, const Host*> hosts;
    std::set<std::string> pushers;  // the client and the hosts
    std::set<std::string> chains;
};

void check_switch_ref(const Topology& t, const JsonReader& r, const std::string& name) {
    if (!t.find_switch(name))
        r.fail("unknown switch '" + name + "'");
}

Segment read_segment(const JsonReader& r, const Topology& t,
                     const std::map<std::string, const PlacedFunction*>& containers) {
    Segment s;
    std::string type = r.at("type").str();
    if (type == "link") {
        s.kind = SegmentKind::Link;
        s.a = r.at("a").name();
        s.b = r.at("b").name();
        s.a_id = static_cast<uint32_t>(r.at("a_id").integer(1, kMaxSwitchId, "switch id"));
        s.b_id = static_cast<uint32_t>(r.at("b_id").integer(1, kMaxSwitchId, "switch id"));
        const Switch* a = t.find_switch(s.a);
        const Switch* b = t.find_switch(s.b);
        if (!a)
            r.at("a").fail("unknown switch '" + s.a + "'");
        if (!b)
            r.at("b").fail("unknown switch '" + s.b + "'");
        if (a->id != s.a_id)
            r.at("a_id").fail("switch '" + s.a + "' has id " + std::to_string(a->id));
        if (b->id != s.b_id)
            r.at("b_id").fail("switch '" + s.b + "' has id " + std::to_string(b->id));
        if (!t.find_link(s.a, s.b))
            r.fail("no link between '" + s.a + "' and '" + s.b + "'");
    } else if (type == "function") {
        s.kind = SegmentKind::Function;
        s.function = r.at("function").name();
        s.function_id = static_cast<uint32_t>(
            r.at("function_id").integer(1, CHIMA_SID_ARG_MAX, "container function id"));
        auto it = containers.find(s.function);
        if (it == containers.end())
            r.at("function").fail("no container function '" + s.function + "'");
        if (it->second->function_id != s.function_id) {
            r.at("function_id")
                .fail("function '" + s.function + "' has id " +
                      std::to_string(it->second->function_id));
        }
    } else {
        r.at("type").fail("unknown segment type '" + type + "'");
    }
    return s;
}

}  // namespace

Topology topology_from_json(const json& j, const std::string& file) {
    JsonReader r(j, file, "/topology");
    Topology t;
    t.name = r.at("name").name();
    t.file = r.at("file").str();
    std::set<std::string> names;
    std::set<uint32_t> ids;
    auto claim = [&names](const JsonReader& at, const std::string& name) {
        if (!names.insert(name).second)
            at.fail("duplicate node name '" + name + "'");
    };
    for (const auto& s : r.at("switches").items()) {
        Switch sw;
        sw.name = s.at("name").name();
        claim(s.at("name"), sw.name);
        sw.id = static_cast<uint32_t>(s.at("id").integer(1, kMaxSwitchId, "switch id"));
        if (!ids.insert(sw.id).second)
            s.at("id").fail("duplicate switch id " + std::to_string(sw.id));
        std::string target = s.at("target").str();
        if (target == "ebpf")
            sw.target = SwitchTarget::Ebpf;
        else if (target == "p4runtime")
            sw.target = SwitchTarget::P4Runtime;
        else
            s.at("target").fail("unknown target '" + target + "'");
        sw.slots =
            static_cast<uint32_t>(s.at("slots").integer(0, CHIMA_SID_ARG_MAX, "function slots"));
        if (s.has("address")) {
            sw.address = device_address(s.at("address"));
            if (s.has("device_id"))
                sw.device_id = static_cast<uint64_t>(
                    s.at("device_id").integer(1, INT64_MAX, "P4Runtime device id"));
        }
        t.switches.push_back(sw);
    }
    if (t.switches.empty())
        r.at("switches").fail("a topology needs at least one switch");
    for (const auto& h : r.at("hosts").items()) {
        Host host;
        host.name = h.at("name").name();
        claim(h.at("name"), host.name);
        host.ip = h.at("ip").ipv4();
        host.mac = h.at("mac").mac();
        host.at = read_attachment(h.at("attach"));
        check_switch_ref(t, h.at("attach").at("switch"), host.at.sw);
        host.capacity = static_cast<uint32_t>(h.at("capacity").integer(0, 100000, "capacity"));
        if (h.has("agent"))
            host.agent = device_address(h.at("agent"));
        t.hosts.push_back(host);
    }
    for (const auto& l : r.at("links").items()) {
        Link link;
        link.a = l.at("a").name();
        link.b = l.at("b").name();
        check_switch_ref(t, l.at("a"), link.a);
        check_switch_ref(t, l.at("b"), link.b);
        if (link.a == link.b)
            l.fail("link from switch '" + link.a + "' to itself");
        if (t.find_link(link.a, link.b))
            l.fail("duplicate link " + link.a + "-" + link.b);
        link.a_port = read_port(l.at("a_port"));
        link.b_port = read_port(l.at("b_port"));
        link.delay = l.at("delay_ns").integer(0, std::numeric_limits<int64_t>::max(), "delay_ns");
        t.links.push_back(link);
    }
    t.client = read_endpoint(r.at("client"));
    claim(r.at("client").at("name"), t.client.name);
    check_switch_ref(t, r.at("client").at("attach").at("switch"), t.client.at.sw);
    auto col = r.at("collector");
    t.collector.udp_port = read_udp_port(col.at("udp_port"));
    t.collector.separate = col.at("separate").boolean();
    if (t.collector.separate) {
        t.collector.endpoint = read_endpoint(col.at("endpoint"));
        claim(col.at("endpoint").at("name"), t.collector.endpoint.name);
        check_switch_ref(t, col.at("endpoint").at("attach").at("switch"),
                         t.collector.endpoint.at.sw);
    }
    return t;
}

Deployment deployment_from_json(const json& doc, const std::string& file) {
    JsonReader r(doc, file, "");
    check_state_header(r, kDeploymentKind, kDeploymentVersion);
    Deployment d;
    d.id = r.at("id").str();
    d.topology = topology_from_json(r.at("topology").raw(), file);
    const Topology& t = d.topology;
    std::set<std::string> chain_names;
    std::vector<JsonReader> chain_readers = r.at("chains").items();
    for (const auto& c : chain_readers) {
        ChainInfo info;
        info.name = c.at("name").name();
        if (!chain_names.insert(info.name).second)
            c.at("name").fail("duplicate chain '" + info.name + "'");
        info.client.ip = c.at("client").at("ip").ipv4();
        info.client.port = read_udp_port(c.at("client").at("port"));
        info.client.protocol = c.at("client").at("protocol").str();
        if (info.client.protocol != "udp" && info.client.protocol != "tcp") {
            c.at("client")
                .at("protocol")
                .fail("unknown protocol '" + info.client.protocol + "' (expected udp or tcp)");
        }
        info.sla = read_sla(c.at("sla"));
        info.alpha = c.at("alpha").number();
        if (!(info.alpha > 0.0 && info.alpha <= 1.0))
            c.at("alpha").fail("alpha " + c.at("alpha").raw().dump() + " is not in (0, 1]");
        info.poll = read_positive_ns(c.at("poll_ns"), "poll_ns");
        for (const auto& f : c.at("functions").items())
            info.functions.push_back(f.name());
        d.chains.push_back(info);
    }
    std::set<std::string> function_keys;
    std::map<std::string, const PlacedFunction*> containers;  // by name, for the segments
    std::map<uint32_t, std::string> function_ids;
    std::map<std::pair<std::string, uint32_t>, std::string> slots;
    for (const auto& f : r.at("functions").items()) {
        PlacedFunction pf;
        pf.chain = f.at("chain").name();
        if (!chain_names.count(pf.chain))
            f.at("chain").fail("unknown chain '" + pf.chain + "'");
        pf.node = f.at("node").name();
        Function& s = pf.spec;
        s.name = f.at("name").name();
        std::string key = pf.chain + "/" + s.name;
        if (!function_keys.insert(key).second)
            f.at("name").fail("duplicate function '" + key + "'");
        std::string type = f.at("type").str();
        if (f.has("sla"))
            s.sla = read_sla(f.at("sla"));
        if (type == "p4") {
            s.type = FunctionType::P4;
            const Switch* sw = t.find_switch(pf.node);
            if (!sw)
                f.at("node").fail("P4 function '" + key + "' on '" + pf.node +
                                  "', which is not a switch");
            JsonReader slot = f.at("slot");
            pf.slot = static_cast<uint32_t>(slot.integer(1, CHIMA_SID_ARG_MAX, "function slot"));
            if (pf.slot > sw->slots) {
                slot.fail("switch '" + sw->name + "' has function slots 1.." +
                          std::to_string(sw->slots) + ", not " + std::to_string(pf.slot));
            }
            if (auto [it, fresh] = slots.emplace(std::pair{pf.node, pf.slot}, key); !fresh)
                slot.fail("slot " + std::to_string(pf.slot) + " of '" + pf.node +
                          "' is also function '" + it->second + "'");
            if (f.has("sid") &&
                f.at("sid").integer() != int64_t{SegmentId::function(pf.slot).label()}) {
                f.at("sid").fail("SID " + f.at("sid").raw().dump() + " contradicts slot " +
                                 std::to_string(pf.slot) + " (function SID " +
                                 std::to_string(SegmentId::function(pf.slot).label()) + ")");
            }
            s.file = f.at("file").str();
            s.control = f.at("control").str();
            for (const auto& e : f.at("entries").items()) {
                TableEntry te;
                te.table = e.at("table").str();
                te.action = e.at("action").str();
                te.priority =
                    static_cast<int32_t>(e.at("priority").integer(0, 1 << 30, "priority"));
                te.match = read_pairs(e.at("match"));
                te.params = read_pairs(e.at("params"));
                s.entries.push_back(te);
            }
        } else if (type == "container") {
            s.type = FunctionType::Container;
            if (!t.find_host(pf.node))
                f.at("node").fail("container function '" + key + "' on '" + pf.node +
                                  "', which is not a host");
            JsonReader id = f.at("function_id");
            pf.function_id = static_cast<uint32_t>(
                id.integer(1, CHIMA_SID_ARG_MAX, "container function id (18 bits)"));
            if (auto [it, fresh] = function_ids.emplace(pf.function_id, key); !fresh)
                id.fail("function id " + std::to_string(pf.function_id) + " is also '" +
                        it->second + "'");
            if (f.has("end_sid") && f.at("end_sid").integer() !=
                                        int64_t{SegmentId::function_end(pf.function_id).label()}) {
                f.at("end_sid").fail(
                    "SID " + f.at("end_sid").raw().dump() + " contradicts function id " +
                    std::to_string(pf.function_id) + " (function-end SID " +
                    std::to_string(SegmentId::function_end(pf.function_id).label()) + ")");
            }
            pf.ip = f.at("ip").ipv4();
            pf.mac = f.at("mac").mac();
            s.ip = pf.ip;
            s.port = read_udp_port(f.at("port"));
            if (f.has("netns") && f.at("netns").str() != pf.netns())
                f.at("netns").fail("expected '" + pf.netns() + "' (fn-<chain>-<name>)");
            if (f.has("image")) {
                s.image = f.at("image").str();
                if (auto problem = image_ref_problem(s.image); !problem.empty())
                    f.at("image").fail("invalid image '" + s.image + "': " + problem);
            }
            if (f.has("build"))
                s.build = f.at("build").str();
            for (const auto& a : f.at("command").items())
                s.command.push_back(a.str());
            s.env = f.at("env").string_map();
            for (const auto& [key, value] : s.env) {
                if (auto problem = env_name_problem(key); !problem.empty())
                    f.at("env").fail("invalid environment variable name '" + key + "': " + problem);
            }
            if (f.has("capabilities"))
                s.capabilities = capability_list(f.at("capabilities"));
        } else {
            f.at("type").fail("unknown function type '" + type + "'");
        }
        d.functions.push_back(pf);
    }
    for (const auto& pf : d.functions)
        if (pf.spec.type == FunctionType::Container)
            containers[pf.spec.name] = &pf;
    for (size_t i = 0; i < d.chains.size(); ++i) {
        auto names = chain_readers[i].at("functions").items();
        for (size_t k = 0; k < d.chains[i].functions.size(); ++k) {
            if (!d.find_function(d.chains[i].name, d.chains[i].functions[k]))
                names[k].fail("chain '" + d.chains[i].name + "' lists function '" +
                              d.chains[i].functions[k] + "', which the deployment does not place");
        }
    }
    for (const auto& f : r.at("flows").items()) {
        Flow fl;
        fl.chain = f.at("chain").name();
        if (!chain_names.count(fl.chain))
            f.at("chain").fail("unknown chain '" + fl.chain + "'");
        fl.direction = f.at("direction").str();
        if (fl.direction != "forward" && fl.direction != "reverse")
            f.at("direction")
                .fail("unknown direction '" + fl.direction + "' (expected forward or reverse)");
        fl.src = f.at("src").name();
        fl.dst = f.at("dst").name();
        fl.src_ip = f.at("src_ip").ipv4();
        fl.dst_ip = f.at("dst_ip").ipv4();
        fl.pusher = f.at("pusher").name();
        if (fl.pusher != t.client.name && !t.find_host(fl.pusher)) {
            f.at("pusher").fail("pusher '" + fl.pusher +
                                "' is neither the client nor a host of the topology");
        }
        for (const auto& p : f.at("path").items()) {
            fl.path.push_back(p.name());
            check_switch_ref(t, p, fl.path.back());
        }
        for (const auto& e : f.at("stack").items()) {
            SegmentId sid = read_stack_entry(e);
            if (fl.stack.size() >= LabelStack::kMaxDepth)
                e.fail("more than " + std::to_string(LabelStack::kMaxDepth) + " labels");
            fl.stack.push_back(sid);
        }
        d.flows.push_back(fl);
    }
    for (const auto& s : r.at("sections").items()) {
        Section sec;
        sec.chain = s.at("chain").name();
        if (!chain_names.count(sec.chain))
            s.at("chain").fail("unknown chain '" + sec.chain + "'");
        sec.name = s.at("name").name();
        sec.sla = read_sla(s.at("sla"));
        for (const auto& seg : s.at("segments").items())
            sec.segments.push_back(read_segment(seg, t, containers));
        d.sections.push_back(sec);
    }
    for (const auto& e : r.at("endpoints").items()) {
        std::string kind = e.at("kind").str();
        if (kind != "client" && kind != "collector" && kind != "host" && kind != "function") {
            e.at("kind").fail("unknown endpoint kind '" + kind +
                              "' (expected client, collector, host or function)");
        }
        // A node is opened by its endpoint's name; a function's endpoint is "chain/function".
        std::string name = e.at("name").str();
        if (kind == "function") {
            auto slash = name.find('/');
            if (slash == std::string::npos ||
                !d.find_function(name.substr(0, slash), name.substr(slash + 1)))
                e.at("name").fail("no function '" + name + "' (expected chain/function)");
        } else {
            name = e.at("name").name();
        }
        NetEndpoint ep{name,
                       kind,
                       e.at("ip").ipv4(),
                       e.at("mac").mac(),
                       e.at("switch").name(),
                       read_port(e.at("port"))};
        check_switch_ref(t, e.at("switch"), ep.sw);
        d.endpoints.push_back(ep);
    }
    for (const auto& [sw, row] : r.at("next_port").members()) {
        check_switch_ref(t, row, sw);
        for (const auto& [to, port] : row.members()) {
            check_switch_ref(t, port, to);
            d.next_port[sw][to] = read_port(port);
        }
    }
    return d;
}

Deployment load_deployment(const std::string& path) {
    json doc = read_state(path, kDeploymentKind, kDeploymentVersion);
    return deployment_from_json(doc, path);
}

}  // namespace chima
