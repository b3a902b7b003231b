// P4Info JSON read back into P4Runtime entities (see chima/p4/p4runtime_info.hpp), so the
// template's and the functions' P4Infos of a device config can be put together.
#include <map>

#include "chima/error.hpp"
#include "chima/p4/p4runtime_info.hpp"

namespace chima::p4 {

using nlohmann::json;

namespace {

// An id read back stays explicit unless it is the name's plain hashed id: @id values (and
// ids probed past a collision) survive putting P4Infos together; plain ones are hashed again
// with the whole set, as p4c would.
std::optional<uint32_t> read_back_id(P4IdPrefix type, const json& preamble) {
    uint32_t id = preamble.at("id").get<uint32_t>();
    std::string name = preamble.at("name");
    uint32_t hashed = (static_cast<uint32_t>(type) << 24) | (p4runtime_name_hash(name) & 0xffffff);
    if (id == hashed)
        return std::nullopt;
    return id;
}

}  // namespace

P4rtEntities p4rt_entities_from_json(const json& p4info) {
    P4rtEntities e;
    std::map<uint32_t, std::string> action_names;
    auto list = [&](const char* key) {
        return p4info.contains(key) ? p4info.at(key) : json::array();
    };
    for (const auto& a : list("actions")) {
        P4rtAction pa;
        pa.name = a.at("preamble").at("name");
        pa.id = read_back_id(P4IdPrefix::Action, a.at("preamble"));
        action_names[a.at("preamble").at("id").get<uint32_t>()] = pa.name;
        pa.annotations = a.at("preamble").value("annotations", std::vector<std::string>{});
        for (const auto& p : a.value("params", json::array()))
            pa.params.push_back({p.at("name"), p.at("bitwidth").get<int>()});
        e.actions.push_back(std::move(pa));
    }
    auto action_name = [&](const json& id) {
        auto it = action_names.find(id.get<uint32_t>());
        if (it == action_names.end())
            throw InputError("P4Info: a table refers to action id " + id.dump() +
                             ", which is not among its actions");
        return it->second;
    };
    for (const auto& t : list("tables")) {
        P4rtTable pt;
        pt.name = t.at("preamble").at("name");
        pt.id = read_back_id(P4IdPrefix::Table, t.at("preamble"));
        for (const auto& f : t.value("matchFields", json::array()))
            pt.match_fields.push_back(
                {f.at("name"), f.at("bitwidth").get<int>(), f.at("matchType")});
        for (const auto& r : t.value("actionRefs", json::array())) {
            pt.actions.push_back(action_name(r.at("id")));
            pt.action_scopes.push_back(r.value("scope", std::string()));
        }
        if (t.contains("constDefaultActionId"))
            pt.const_default_action = action_name(t.at("constDefaultActionId"));
        pt.is_const_table = t.value("isConstTable", false);
        pt.size = std::stoll(t.value("size", std::string("1024")));
        e.tables.push_back(std::move(pt));
    }
    for (const auto& c : list("counters"))
        e.counters.push_back({c.at("preamble").at("name"), c.at("spec").at("unit"),
                              std::stoll(c.at("size").get<std::string>()),
                              read_back_id(P4IdPrefix::Counter, c.at("preamble"))});
    for (const auto& r : list("registers"))
        e.registers.push_back({r.at("preamble").at("name"),
                               r.at("typeSpec").at("bitstring").at("bit").at("bitwidth").get<int>(),
                               r.at("size").get<int32_t>(),
                               read_back_id(P4IdPrefix::Register, r.at("preamble"))});
    return e;
}

}  // namespace chima::p4
