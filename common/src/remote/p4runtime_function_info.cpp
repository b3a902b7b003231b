#include "chima/remote/p4runtime_function_info.hpp"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <set>

#include "chima/error.hpp"

namespace chima::remote {

using nlohmann::json;

namespace {

std::string upper(std::string s) {
    for (auto& c : s)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

// chima-p4info-1's counter type (the CounterType member) as P4Info's unit.
std::string counter_unit(const std::string& type) {
    if (type == "bytes")
        return "BYTES";
    if (type == "packets_and_bytes")
        return "BOTH";
    return "PACKETS";
}

bool under(const std::string& name, const std::string& prefix) {
    return name.rfind(prefix, 0) == 0;
}

template <class List>
void drop_under(List& list, const std::string& prefix) {
    list.erase(std::remove_if(list.begin(), list.end(),
                              [&](const auto& x) { return under(x.name, prefix); }),
               list.end());
}

}  // namespace

p4::P4rtEntities function_entities(const json& chima, uint32_t slot) {
    p4::P4rtEntities out;
    if (chima.is_null())
        return out;
    const std::string path = p4::function_instance_path(slot);
    // Global actions (NoAction) keep their bare name, as p4c's LocalizeAllActions does.
    auto full = [&](const std::string& local) {
        return local == "NoAction" ? local : path + "." + local;
    };
    std::map<int, std::string> action_names;
    for (const auto& a : chima.value("actions", json::array())) {
        p4::P4rtAction pa;
        pa.name = full(a.at("name"));
        if (pa.name == "NoAction")
            pa.annotations.push_back("@noWarn(\"unused\")");  // as core.p4 declares it
        for (const auto& p : a.value("params", json::array()))
            pa.params.push_back({p.at("name"), p.at("width").get<int>()});
        action_names[a.at("id").get<int>()] = pa.name;
        out.actions.push_back(std::move(pa));
    }
    std::set<std::string> referenced;
    for (const auto& t : chima.value("tables", json::array())) {
        p4::P4rtTable pt;
        pt.name = path + "." + t.at("name").get<std::string>();
        std::vector<json> keys(t.at("keys").begin(), t.at("keys").end());
        std::sort(keys.begin(), keys.end(), [](const json& a, const json& b) {
            return a.value("p4_index", 0) < b.value("p4_index", 0);
        });
        for (const auto& k : keys)
            pt.match_fields.push_back(
                {k.at("name"), k.at("width").get<int>(), upper(k.at("match"))});
        for (const auto& id : t.at("action_ids")) {
            auto it = action_names.find(id.get<int>());
            if (it == action_names.end())
                throw InputError("chima-p4info: table '" + t.at("name").get<std::string>() +
                                 "' lists action id " + id.dump() + ", which it does not have");
            pt.actions.push_back(it->second);
            pt.action_scopes.push_back("");
            referenced.insert(it->second);
        }
        pt.is_const_table = !t.value("const_entries", json::array()).empty();
        pt.size = t.value("size", int64_t{1024});
        out.tables.push_back(std::move(pt));
    }
    // An action no table lists is only called from code: p4c gives it no params.
    for (auto& a : out.actions)
        if (!referenced.count(a.name))
            a.params.clear();
    for (const auto& c : chima.value("counters", json::array()))
        out.counters.push_back({path + "." + c.at("name").get<std::string>(),
                                counter_unit(c.value("type", "packets")),
                                c.at("size").get<int64_t>(), std::nullopt});
    for (const auto& r : chima.value("registers", json::array()))
        out.registers.push_back({path + "." + r.at("name").get<std::string>(),
                                 r.at("width").get<int>(), r.at("size").get<int32_t>(),
                                 std::nullopt});
    return out;
}

::p4::config::v1::P4Info p4info_from_json(const json& j) {
    ::p4::config::v1::P4Info info;
    auto status = google::protobuf::util::JsonStringToMessage(j.dump(), &info);
    if (!status.ok())
        throw RuntimeError("P4Info JSON: " + status.ToString());
    return info;
}

json p4info_to_json(const ::p4::config::v1::P4Info& info) {
    std::string text;
    auto status = google::protobuf::util::MessageToJsonString(info, &text);
    if (!status.ok())
        throw RuntimeError("P4Info to JSON: " + status.ToString());
    return json::parse(text);
}

::p4::config::v1::P4Info p4info_with_slot(const ::p4::config::v1::P4Info& device, uint32_t slot,
                                          const p4::P4rtEntities& function) {
    p4::P4rtEntities all = p4::p4rt_entities_from_json(p4info_to_json(device));
    const std::string prefix = p4::function_instance_path(slot) + ".";
    drop_under(all.tables, prefix);
    drop_under(all.actions, prefix);
    drop_under(all.counters, prefix);
    drop_under(all.registers, prefix);
    all.merge(function);
    // An id the device's P4Info carried read back as explicit stays reserved; the rest is
    // hashed again over the new set of names.
    return p4info_from_json(p4::p4runtime_info(all));
}

}  // namespace chima::remote
