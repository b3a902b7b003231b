// NetState <-> net.json.
#include "chima/model/json_reader.hpp"
#include "chima/model/net_state.hpp"
#include "chima/state_file.hpp"

namespace chima {

using nlohmann::json;

namespace {

json int_json(const NetState::IntSettings& s) {
    json j = {
        {"switch_id", s.switch_id}, {"sink_ports", s.sink_ports}, {"report_port", s.report_port}};
    if (s.report_source)
        j["report_source"] = s.report_source->str();
    return j;
}

json link_end_json(const NetState::LinkEnd& e) {
    return {{"node", e.node}, {"ifname", e.ifname}};
}

NetState::IntSettings read_int(const JsonReader& r) {
    NetState::IntSettings s;
    s.switch_id = r.at("switch_id").uint32();
    for (const auto& p : r.at("sink_ports").items())
        s.sink_ports.push_back(p.uint32());
    s.report_port = r.at("report_port").uint32();
    if (r.has("report_source"))
        s.report_source = r.at("report_source").ipv4();
    return s;
}

NetState::LinkEnd read_link_end(const JsonReader& r) {
    return {r.at("node").str(), r.at("ifname").str()};
}

}  // namespace

json to_json(const NetState& doc) {
    json j = new_state(kNetKind, kNetVersion);
    j["name"] = doc.name;
    j["topology"] = doc.topology;
    json switches = json::array();
    for (const auto& s : doc.switches) {
        json ports = json::array();
        for (const auto& p : s.ports)
            ports.push_back({{"port", p.port}, {"ifname", p.ifname}, {"ifindex", p.ifindex}});
        switches.push_back({{"name", s.name},
                            {"id", s.id},
                            {"netns", s.netns},
                            {"pins", s.pins},
                            {"ports", ports},
                            {"int", int_json(s.int_settings)}});
    }
    j["switches"] = switches;
    json endpoints = json::array();
    for (const auto& e : doc.endpoints) {
        endpoints.push_back({{"name", e.name},
                             {"kind", e.kind},
                             {"netns", e.netns},
                             {"ip", e.ip.str()},
                             {"mac", e.mac.str()},
                             {"uplink", e.uplink},
                             {"pins", e.pins},
                             {"bridge", e.bridge}});
    }
    j["endpoints"] = endpoints;
    json links = json::array();
    for (const auto& l : doc.links)
        links.push_back({{"name", l.name}, {"a", link_end_json(l.a)}, {"b", link_end_json(l.b)}});
    j["links"] = links;
    const NetState::Collector& c = doc.collector;
    j["collector"] = {{"node", c.node},
                      {"netns", c.netns},
                      {"iface", c.iface},
                      {"ip", c.ip.str()},
                      {"udp_port", c.udp_port}};
    return j;
}

NetState net_state_from_json(const json& doc, const std::string& file) {
    JsonReader r(doc, file);
    check_state_header(r, kNetKind, kNetVersion);
    NetState out;
    out.name = r.at("name").name();
    out.topology = r.at("topology").str();
    for (const auto& s : r.at("switches").items()) {
        NetState::Switch sw;
        sw.name = s.at("name").name();
        sw.id = static_cast<uint32_t>(s.at("id").integer(1, 0x3FFF, "switch id"));
        sw.netns = s.at("netns").str();
        sw.pins = s.at("pins").str();
        for (const auto& p : s.at("ports").items())
            sw.ports.push_back(
                {p.at("port").uint32(), p.at("ifname").str(), p.at("ifindex").integer()});
        sw.int_settings = read_int(s.at("int"));
        out.switches.push_back(std::move(sw));
    }
    for (const auto& e : r.at("endpoints").items()) {
        NetState::Endpoint ep;
        ep.name = e.at("name").name();
        ep.kind = e.at("kind").str();
        if (ep.kind != "host" && ep.kind != "endpoint")
            e.at("kind").fail("unknown endpoint kind '" + ep.kind +
                              "' (expected host or endpoint)");
        ep.netns = e.at("netns").str();
        ep.ip = e.at("ip").ipv4();
        ep.mac = e.at("mac").mac();
        ep.uplink = e.at("uplink").str();
        ep.pins = e.at("pins").str();
        ep.bridge = e.at("bridge").str();
        out.endpoints.push_back(std::move(ep));
    }
    for (const auto& l : r.at("links").items()) {
        out.links.push_back(
            {l.at("name").str(), read_link_end(l.at("a")), read_link_end(l.at("b"))});
    }
    JsonReader c = r.at("collector");
    out.collector.node = c.at("node").str();
    out.collector.netns = c.at("netns").str();
    out.collector.iface = c.at("iface").str();
    out.collector.ip = c.at("ip").ipv4();
    uint32_t port = c.at("udp_port").uint32();
    if (port > 65535)
        c.at("udp_port").fail("expected a port from 0 to 65535");
    out.collector.udp_port = static_cast<uint16_t>(port);
    return out;
}

NetState load_net_state(const std::string& path) {
    return net_state_from_json(read_state(path, kNetKind, kNetVersion), path);
}

}  // namespace chima
