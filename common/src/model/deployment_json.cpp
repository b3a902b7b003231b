// Deployment <-> JSON (deployment.json). The JSON is the contract between the tools: see
// chima-formats(5). Readers reject a wrong kind/version and name the JSON path of errors.
#include <functional>

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
    return {{"name", e.name},
            {"ip", e.ip.str()},
            {"mac", e.mac.str()},
            {"attach", attachment_json(e.at)}};
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
    }
    return j;
}

}  // namespace

json topology_to_json(const Topology& t) {
    json sw = json::array(), hosts = json::array(), links = json::array();
    for (const auto& s : t.switches) {
        json j = {
            {"name", s.name}, {"id", s.id}, {"target", to_string(s.target)}, {"slots", s.slots}};
        if (!s.address.empty())
            j["address"] = s.address;
        sw.push_back(j);
    }
    for (const auto& h : t.hosts) {
        hosts.push_back({{"name", h.name},
                         {"ip", h.ip.str()},
                         {"mac", h.mac.str()},
                         {"attach", attachment_json(h.at)},
                         {"capacity", h.capacity}});
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

namespace {

SlaSection read_sla(const JsonReader& r) {
    SlaSection s;
    if (r.has("latency_ns"))
        s.latency = r.at("latency_ns").integer();
    if (r.has("jitter_ns"))
        s.jitter = r.at("jitter_ns").integer();
    return s;
}

Attachment read_attachment(const JsonReader& r) {
    return {r.at("switch").str(), static_cast<uint32_t>(r.at("port").integer()),
            r.at("delay_ns").integer()};
}

Endpoint read_endpoint(const JsonReader& r) {
    Endpoint e;
    e.name = r.at("name").str();
    e.ip = r.at("ip").ipv4();
    e.mac = r.at("mac").mac();
    e.at = read_attachment(r.at("attach"));
    return e;
}

Segment read_segment(const JsonReader& r) {
    Segment s;
    std::string type = r.at("type").str();
    if (type == "link") {
        s.kind = SegmentKind::Link;
        s.a = r.at("a").str();
        s.b = r.at("b").str();
        s.a_id = static_cast<uint32_t>(r.at("a_id").integer());
        s.b_id = static_cast<uint32_t>(r.at("b_id").integer());
    } else if (type == "function") {
        s.kind = SegmentKind::Function;
        s.function = r.at("function").str();
        s.function_id = static_cast<uint32_t>(r.at("function_id").integer());
    } else {
        r.at("type").fail("unknown segment type '" + type + "'");
    }
    return s;
}

}  // namespace

Topology topology_from_json(const json& j, const std::string& file) {
    JsonReader r(j, file, "/topology");
    Topology t;
    t.name = r.at("name").str();
    t.file = r.at("file").str();
    for (const auto& s : r.at("switches").items()) {
        Switch sw;
        sw.name = s.at("name").str();
        sw.id = static_cast<uint32_t>(s.at("id").integer());
        std::string target = s.at("target").str();
        if (target == "ebpf")
            sw.target = SwitchTarget::Ebpf;
        else if (target == "p4runtime")
            sw.target = SwitchTarget::P4Runtime;
        else
            s.at("target").fail("unknown target '" + target + "'");
        sw.slots = static_cast<uint32_t>(s.at("slots").integer());
        if (s.has("address"))
            sw.address = s.at("address").str();
        t.switches.push_back(sw);
    }
    for (const auto& h : r.at("hosts").items()) {
        Host host;
        host.name = h.at("name").str();
        host.ip = h.at("ip").ipv4();
        host.mac = h.at("mac").mac();
        host.at = read_attachment(h.at("attach"));
        host.capacity = static_cast<uint32_t>(h.at("capacity").integer());
        t.hosts.push_back(host);
    }
    for (const auto& l : r.at("links").items()) {
        Link link;
        link.a = l.at("a").str();
        link.b = l.at("b").str();
        link.a_port = static_cast<uint32_t>(l.at("a_port").integer());
        link.b_port = static_cast<uint32_t>(l.at("b_port").integer());
        link.delay = l.at("delay_ns").integer();
        t.links.push_back(link);
    }
    t.client = read_endpoint(r.at("client"));
    auto col = r.at("collector");
    t.collector.udp_port = static_cast<uint16_t>(col.at("udp_port").integer());
    t.collector.separate = col.at("separate").boolean();
    if (t.collector.separate)
        t.collector.endpoint = read_endpoint(col.at("endpoint"));
    return t;
}

Deployment deployment_from_json(const json& doc, const std::string& file) {
    JsonReader r(doc, file, "");
    check_state_header(r, kDeploymentKind, kDeploymentVersion);
    Deployment d;
    d.id = r.at("id").str();
    d.topology = topology_from_json(r.at("topology").raw(), file);
    for (const auto& c : r.at("chains").items()) {
        ChainInfo info;
        info.name = c.at("name").str();
        info.client.ip = c.at("client").at("ip").ipv4();
        info.client.port = static_cast<uint16_t>(c.at("client").at("port").integer());
        info.client.protocol = c.at("client").at("protocol").str();
        info.sla = read_sla(c.at("sla"));
        info.alpha = c.at("alpha").number();
        info.poll = c.at("poll_ns").integer();
        for (const auto& f : c.at("functions").items())
            info.functions.push_back(f.str());
        d.chains.push_back(info);
    }
    for (const auto& f : r.at("functions").items()) {
        PlacedFunction pf;
        pf.chain = f.at("chain").str();
        pf.node = f.at("node").str();
        Function& s = pf.spec;
        s.name = f.at("name").str();
        std::string type = f.at("type").str();
        if (f.has("sla"))
            s.sla = read_sla(f.at("sla"));
        if (type == "p4") {
            s.type = FunctionType::P4;
            pf.slot = static_cast<uint32_t>(f.at("slot").integer());
            s.file = f.at("file").str();
            s.control = f.at("control").str();
            for (const auto& e : f.at("entries").items()) {
                TableEntry te;
                te.table = e.at("table").str();
                te.action = e.at("action").str();
                te.priority = static_cast<int32_t>(e.at("priority").integer());
                for (const auto& [k, val] : e.at("match").string_map())
                    te.match.emplace_back(k, val);
                for (const auto& [k, val] : e.at("params").string_map())
                    te.params.emplace_back(k, val);
                s.entries.push_back(te);
            }
        } else if (type == "container") {
            s.type = FunctionType::Container;
            pf.function_id = static_cast<uint32_t>(f.at("function_id").integer());
            pf.ip = f.at("ip").ipv4();
            pf.mac = f.at("mac").mac();
            s.ip = pf.ip;
            s.port = static_cast<uint16_t>(f.at("port").integer());
            if (f.has("image"))
                s.image = f.at("image").str();
            if (f.has("build"))
                s.build = f.at("build").str();
            for (const auto& a : f.at("command").items())
                s.command.push_back(a.str());
            for (const auto& [k, val] : f.at("env").string_map())
                s.env[k] = val;
        } else {
            f.at("type").fail("unknown function type '" + type + "'");
        }
        d.functions.push_back(pf);
    }
    for (const auto& f : r.at("flows").items()) {
        Flow fl;
        fl.chain = f.at("chain").str();
        fl.direction = f.at("direction").str();
        fl.src = f.at("src").str();
        fl.dst = f.at("dst").str();
        fl.src_ip = f.at("src_ip").ipv4();
        fl.dst_ip = f.at("dst_ip").ipv4();
        fl.pusher = f.at("pusher").str();
        for (const auto& p : f.at("path").items())
            fl.path.push_back(p.str());
        for (const auto& e : f.at("stack").items()) {
            try {
                fl.stack.push_back(
                    SegmentId::decode(static_cast<uint32_t>(e.at("label").integer())));
            } catch (const InputError& err) {
                e.fail(err.what());
            }
        }
        d.flows.push_back(fl);
    }
    for (const auto& s : r.at("sections").items()) {
        Section sec;
        sec.chain = s.at("chain").str();
        sec.name = s.at("name").str();
        sec.sla = read_sla(s.at("sla"));
        for (const auto& seg : s.at("segments").items())
            sec.segments.push_back(read_segment(seg));
        d.sections.push_back(sec);
    }
    for (const auto& e : r.at("endpoints").items()) {
        d.endpoints.push_back({e.at("name").str(), e.at("kind").str(), e.at("ip").ipv4(),
                               e.at("mac").mac(), e.at("switch").str(),
                               static_cast<uint32_t>(e.at("port").integer())});
    }
    for (const auto& [sw, row] : r.at("next_port").members()) {
        for (const auto& [to, port] : row.members())
            d.next_port[sw][to] = port.uint32();
    }
    return d;
}

Deployment load_deployment(const std::string& path) {
    json doc = read_state(path, kDeploymentKind, kDeploymentVersion);
    return deployment_from_json(doc, path);
}

}  // namespace chima
