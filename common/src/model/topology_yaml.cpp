// topology.yaml -> Topology, with validation (duplicates, unknown references, ports).
#include <map>
#include <set>

#include "chima/host_port.hpp"
#include "chima/model/topology.hpp"
#include "chima/segment_id.hpp"
#include "chima/state_file.hpp"
#include "chima/yaml/yaml_view.hpp"

namespace chima {

const char* to_string(SwitchTarget t) {
    return t == SwitchTarget::Ebpf ? "ebpf" : "p4runtime";
}

const Switch* Topology::find_switch(const std::string& n) const {
    for (const auto& s : switches)
        if (s.name == n)
            return &s;
    return nullptr;
}

const Host* Topology::find_host(const std::string& n) const {
    for (const auto& h : hosts)
        if (h.name == n)
            return &h;
    return nullptr;
}

const Host* Topology::find_host_by_ip(Ipv4 ip) const {
    for (const auto& h : hosts)
        if (h.ip == ip)
            return &h;
    return nullptr;
}

const Link* Topology::find_link(const std::string& a, const std::string& b) const {
    for (const auto& l : links)
        if ((l.a == a && l.b == b) || (l.a == b && l.b == a))
            return &l;
    return nullptr;
}

namespace {

// Deterministic default MACs: 02:00:00:00:<kind>:<index> (locally administered).
Mac default_mac(uint8_t kind, uint32_t index) {
    return Mac{(uint64_t(0x02) << 40) | (uint64_t(kind) << 8) | (index & 0xff) |
               (uint64_t((index >> 8) & 0xff) << 16)};
}

// INT carries a switch id in 14 bits, and 0 means none.
constexpr uint32_t kMaxSwitchId = 0x3FFF;

uint32_t port_value(const YamlView& v) {
    return static_cast<uint32_t>(v.integer(1, 511));
}

Attachment parse_attachment(const YamlView& v) {
    Attachment at;
    at.sw = v.at("switch").str();
    if (auto p = v.get("port"))
        at.port = port_value(*p);
    if (auto d = v.get("delay"))
        at.delay = d->duration();
    return at;
}

// A device's address (HOST:PORT), or an error at its mark.
std::string device_address(const YamlView& v) {
    std::string text = v.str(), problem;
    if (!parse_host_port(text, &problem))
        v.fail("address '" + text + "': " + problem);
    return text;
}

Endpoint parse_endpoint(const YamlView& v, const std::string& default_name, uint8_t mac_kind) {
    v.expect_map(default_name);
    v.allow_keys({"name", "ip", "mac", "switch", "port", "delay", "udp_port", "agent"});
    Endpoint e;
    e.mark = v.mark();
    e.name = v.has("name") ? v.at("name").name() : default_name;
    e.ip = v.at("ip").ipv4();
    e.mac = v.has("mac") ? v.at("mac").mac() : default_mac(mac_kind, 0);
    e.at = parse_attachment(v);
    if (auto a = v.get("agent"))
        e.agent = device_address(*a);
    return e;
}

// Every (switch, port) used once; ports not given are assigned in this order: client,
// collector, links (document order), hosts (document order), each taking the lowest free
// port of its switch.
class PortAllocator {
  public:
    void reserve(const std::string& sw, uint32_t port, const SourceMark& mark) {
        if (!used_[sw].insert(port).second) {
            throw InputError(
                mark, "port " + std::to_string(port) + " of switch '" + sw + "' is used twice");
        }
    }
    uint32_t next(const std::string& sw) {
        auto& used = used_[sw];
        uint32_t p = 1;
        while (used.count(p))
            ++p;
        used.insert(p);
        return p;
    }

  private:
    std::map<std::string, std::set<uint32_t>> used_;
};

}  // namespace

Topology parse_topology(const std::string& text, const std::string& file) {
    YamlView root = YamlView::load_text(text, file);
    root.expect_map("topology");
    root.allow_keys(
        {"kind", "version", "name", "switches", "hosts", "links", "client", "collector"});
    if (auto k = root.get("kind"); k && k->str() != "chima.topology") {
        k->fail("wrong kind '" + k->str() + "', expected 'chima.topology'");
    }
    Topology t;
    t.file = file;
    t.name = root.has("name") ? root.at("name").name() : "chima";

    std::set<uint32_t> ids;
    std::set<std::string> names;
    auto claim_name = [&](const std::string& n, const YamlView& at) {
        if (!names.insert(n).second)
            at.fail("duplicate name '" + n + "'");
    };

    uint32_t index = 0;
    for (const auto& v : root.at("switches").expect_seq("switches").items()) {
        ++index;
        v.expect_map("a switch");
        v.allow_keys({"name", "id", "target", "address", "device_id", "slots"});
        Switch s;
        s.mark = v.mark();
        s.name = v.at("name").name();
        claim_name(s.name, v.at("name"));
        if (!v.has("id") && index > kMaxSwitchId) {
            v.fail("switch '" + s.name + "' would get id " + std::to_string(index) +
                   ", past the range of switch ids 1.." + std::to_string(kMaxSwitchId) +
                   " (INT carries 14 bits)");
        }
        s.id = v.has("id") ? static_cast<uint32_t>(v.at("id").integer(1, kMaxSwitchId)) : index;
        if (!ids.insert(s.id).second) {
            (v.has("id") ? v.at("id") : v).fail("duplicate switch id " + std::to_string(s.id));
        }
        if (auto tg = v.get("target")) {
            std::string x = tg->str();
            if (x == "ebpf")
                s.target = SwitchTarget::Ebpf;
            else if (x == "p4runtime")
                s.target = SwitchTarget::P4Runtime;
            else
                tg->fail("unknown target '" + x + "' (expected ebpf or p4runtime)");
        }
        if (auto a = v.get("address"))
            s.address = device_address(*a);
        if (auto id = v.get("device_id")) {
            if (s.address.empty())
                id->fail("device_id without an address (the emulated switch has none)");
            s.device_id = static_cast<uint64_t>(id->integer(1, INT64_MAX));
        }
        if (s.target == SwitchTarget::P4Runtime && s.address.empty()) {
            v.fail("switch '" + s.name + "' has target p4runtime but no address");
        }
        if (auto sl = v.get("slots")) {
            s.slots = static_cast<uint32_t>(sl->integer(0, CHIMA_SID_ARG_MAX));
        }
        t.switches.push_back(s);
    }
    if (t.switches.empty())
        root.at("switches").fail("a topology needs at least one switch");

    auto check_switch = [&](const std::string& sw, const YamlView& at) {
        if (!t.find_switch(sw))
            at.fail("unknown switch '" + sw + "'");
    };

    t.client = parse_endpoint(root.at("client"), "client", 0xfe);
    check_switch(t.client.at.sw, root.at("client").at("switch"));
    claim_name(t.client.name, root.at("client"));
    if (auto c = root.get("collector")) {
        if (c->has("switch")) {
            t.collector.separate = true;
            t.collector.endpoint = parse_endpoint(*c, "collector", 0xfd);
            check_switch(t.collector.endpoint.at.sw, c->at("switch"));
            claim_name(t.collector.endpoint.name, *c);
        } else {
            c->allow_keys({"udp_port"});
        }
        if (auto p = c->get("udp_port"))
            t.collector.udp_port = uint16_t(p->integer(1, 65535));
    }

    index = 0;
    std::set<uint32_t> ips{t.client.ip.value};
    for (const auto& v : root.get("hosts") ? root.at("hosts").expect_seq("hosts").items()
                                           : std::vector<YamlView>{}) {
        ++index;
        v.expect_map("a host");
        v.allow_keys({"name", "ip", "mac", "switch", "port", "delay", "capacity", "agent"});
        Host h;
        h.mark = v.mark();
        h.name = v.at("name").name();
        claim_name(h.name, v.at("name"));
        h.ip = v.at("ip").ipv4();
        if (!ips.insert(h.ip.value).second)
            v.at("ip").fail("duplicate address " + h.ip.str());
        h.mac = v.has("mac") ? v.at("mac").mac() : default_mac(0x01, index);
        h.at = parse_attachment(v);
        check_switch(h.at.sw, v.at("switch"));
        if (auto c = v.get("capacity"))
            h.capacity = static_cast<uint32_t>(c->integer(0, 100000));
        if (auto a = v.get("agent"))
            h.agent = device_address(*a);
        t.hosts.push_back(h);
    }
    if (t.collector.separate && !ips.insert(t.collector.endpoint.ip.value).second) {
        root.at("collector").at("ip").fail("duplicate address " + t.collector.endpoint.ip.str());
    }

    std::vector<YamlView> link_views;
    for (const auto& v : root.get("links") ? root.at("links").expect_seq("links").items()
                                           : std::vector<YamlView>{}) {
        v.expect_map("a link");
        v.allow_keys({"a", "b", "a_port", "b_port", "delay"});
        Link l;
        l.mark = v.mark();
        l.a = v.at("a").str();
        l.b = v.at("b").str();
        check_switch(l.a, v.at("a"));
        check_switch(l.b, v.at("b"));
        if (l.a == l.b)
            v.fail("link from switch '" + l.a + "' to itself");
        if (t.find_link(l.a, l.b))
            v.fail("duplicate link " + l.a + "-" + l.b);
        if (auto p = v.get("a_port"))
            l.a_port = port_value(*p);
        if (auto p = v.get("b_port"))
            l.b_port = port_value(*p);
        if (auto d = v.get("delay"))
            l.delay = d->duration();
        t.links.push_back(l);
        link_views.push_back(v);
    }

    // Ports: explicit ones first (each used once), then the rest in a fixed order.
    PortAllocator ports;
    if (t.client.at.port)
        ports.reserve(t.client.at.sw, t.client.at.port, t.client.mark);
    if (t.collector.separate && t.collector.endpoint.at.port) {
        ports.reserve(t.collector.endpoint.at.sw, t.collector.endpoint.at.port,
                      t.collector.endpoint.mark);
    }
    for (const auto& l : t.links) {
        if (l.a_port)
            ports.reserve(l.a, l.a_port, l.mark);
        if (l.b_port)
            ports.reserve(l.b, l.b_port, l.mark);
    }
    for (const auto& h : t.hosts) {
        if (h.at.port)
            ports.reserve(h.at.sw, h.at.port, h.mark);
    }
    if (!t.client.at.port)
        t.client.at.port = ports.next(t.client.at.sw);
    if (t.collector.separate && !t.collector.endpoint.at.port) {
        t.collector.endpoint.at.port = ports.next(t.collector.endpoint.at.sw);
    }
    for (auto& l : t.links) {
        if (!l.a_port)
            l.a_port = ports.next(l.a);
        if (!l.b_port)
            l.b_port = ports.next(l.b);
    }
    for (auto& h : t.hosts) {
        if (!h.at.port)
            h.at.port = ports.next(h.at.sw);
    }
    return t;
}

Topology load_topology(const std::string& path) {
    return parse_topology(read_file(path), path);
}

}  // namespace chima
