// Routes <-> routes.json, and the routes a deployment implies.
#include <set>

#include "chima/label_stack.hpp"
#include "chima/model/json_reader.hpp"
#include "chima/model/routes.hpp"
#include "chima/state_file.hpp"

namespace chima {

using nlohmann::json;

Routes routes_of(const Deployment& d, const std::string& net) {
    Routes out;
    out.deployment = d.id;
    out.net = net;
    std::set<std::string> measured;
    for (const auto& s : d.sections)
        measured.insert(s.chain);
    for (const auto& f : d.flows) {
        RoutedFlow flow{f.chain, f.pusher, f.src_ip, f.dst_ip, {}};
        for (const auto& sid : f.stack.segments())
            flow.labels.push_back(sid.label());
        out.flows.push_back(std::move(flow));
    }
    for (const auto& f : d.flows) {
        if (measured.count(f.chain) && !f.path.empty())
            out.int_watch.push_back({f.chain, f.path.front(), f.src_ip, f.dst_ip});
    }
    return out;
}

json to_json(const Routes& doc) {
    json j = new_state(kRoutesKind, kRoutesVersion);
    j["deployment"] = doc.deployment;
    j["net"] = doc.net;
    json flows = json::array();
    for (const auto& f : doc.flows) {
        flows.push_back({{"chain", f.chain},
                         {"pusher", f.pusher},
                         {"src_ip", f.src_ip.str()},
                         {"dst_ip", f.dst_ip.str()},
                         {"labels", f.labels}});
    }
    j["flows"] = flows;
    json watched = json::array();
    for (const auto& w : doc.int_watch) {
        watched.push_back({{"chain", w.chain},
                           {"switch", w.sw},
                           {"src_ip", w.src_ip.str()},
                           {"dst_ip", w.dst_ip.str()}});
    }
    j["int_watch"] = watched;
    j["changed"] = doc.changed;
    j["removed"] = doc.removed;
    if (doc.forwarding_entries)
        j["forwarding_entries"] = *doc.forwarding_entries;
    return j;
}

Routes routes_from_json(const json& doc, const std::string& file) {
    JsonReader r(doc, file);
    check_state_header(r, kRoutesKind, kRoutesVersion);
    Routes out;
    out.deployment = r.at("deployment").str();
    out.net = r.at("net").name();
    for (const auto& f : r.at("flows").items()) {
        RoutedFlow flow{f.at("chain").name(),
                        f.at("pusher").name(),
                        f.at("src_ip").ipv4(),
                        f.at("dst_ip").ipv4(),
                        {}};
        for (const auto& label : f.at("labels").items()) {
            auto value = static_cast<uint32_t>(
                label.integer(0, (int64_t{1} << CHIMA_LABEL_BITS) - 1, "label"));
            try {
                SegmentId::decode(value);
            } catch (const InputError& e) {
                label.fail(e.what());
            }
            if (flow.labels.size() >= LabelStack::kMaxDepth)
                label.fail("more than " + std::to_string(LabelStack::kMaxDepth) + " labels");
            flow.labels.push_back(value);
        }
        out.flows.push_back(std::move(flow));
    }
    // Version 1 files from before INT watches (and hand-made ones) have no "int_watch",
    // "changed" or "removed": none, 0, as the tools that wrote them meant.
    if (r.has("int_watch")) {
        for (const auto& w : r.at("int_watch").items()) {
            out.int_watch.push_back({w.at("chain").name(), w.at("switch").name(),
                                     w.at("src_ip").ipv4(), w.at("dst_ip").ipv4()});
        }
    }
    out.changed = r.has("changed") ? r.at("changed").uint64() : 0;
    out.removed = r.has("removed") ? r.at("removed").uint64() : 0;
    if (r.has("forwarding_entries"))
        out.forwarding_entries = r.at("forwarding_entries").uint64();
    return out;
}

Routes load_routes(const std::string& path) {
    return routes_from_json(read_state(path, kRoutesKind, kRoutesVersion), path);
}

}  // namespace chima
