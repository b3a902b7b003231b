#include "chima/deploy/p4runtime_requests.hpp"

#include <google/protobuf/text_format.h>
#include <google/protobuf/util/json_util.h>

#include "chima/deploy/compile_deployment.hpp"
#include "chima/error.hpp"
#include "chima/state_file.hpp"

namespace chima::deploy {

namespace {

using ::p4::config::v1::P4Info;

// The merged program's names: the template's in ChimaIngress, a function's in the instance
// of its slot (as p4::p4runtime_info names them, and p4c does).
constexpr const char* kIngress = "ChimaIngress.";
std::string slot_prefix(uint32_t slot) {
    return std::string(kIngress) + "functions.fn_" + std::to_string(slot) + ".";
}

// Canonical P4Runtime bytestring: the shortest big-endian string that holds `v`.
std::string bytes_of(uint64_t v, int width, const std::string& what) {
    if (width < 64 && (v >> width) != 0)
        throw InputError(what + ": " + std::to_string(v) + " does not fit bit<" +
                         std::to_string(width) + ">");
    std::string out;
    do {
        out.insert(out.begin(), static_cast<char>(v & 0xff));
        v >>= 8;
    } while (v != 0);
    return out;
}

class Names {
  public:
    Names(const P4Info& info, std::string sw) : info_(info), sw_(std::move(sw)) {}

    const ::p4::config::v1::Table& table(const std::string& name) const {
        for (const auto& t : info_.tables())
            if (t.preamble().name() == name)
                return t;
        throw InputError("switch '" + sw_ + "': p4c's P4Info has no table '" + name + "'");
    }
    const ::p4::config::v1::Action& action(const std::string& name) const {
        for (const auto& a : info_.actions())
            if (a.preamble().name() == name)
                return a;
        throw InputError("switch '" + sw_ + "': p4c's P4Info has no action '" + name + "'");
    }
    bool has_table(const std::string& name) const {
        for (const auto& t : info_.tables())
            if (t.preamble().name() == name)
                return true;
        return false;
    }
    bool has_action(const std::string& name) const {
        for (const auto& a : info_.actions())
            if (a.preamble().name() == name)
                return true;
        return false;
    }
    const std::string& sw() const { return sw_; }

  private:
    const P4Info& info_;
    std::string sw_;
};

// One key field of an entry; std::nullopt value: don't care (omitted, as P4Runtime wants).
struct FieldValue {
    std::string name;
    p4::KeyMatch match;
};

::p4::v1::Update insert(const Names& names, const std::string& table_name,
                        const std::vector<FieldValue>& fields, const std::string& action_name,
                        const std::vector<uint64_t>& params, int32_t priority) {
    const auto& table = names.table(table_name);
    const auto& action = names.action(action_name);
    std::string where = "switch '" + names.sw() + "': table '" + table_name + "'";
    ::p4::v1::Update update;
    update.set_type(::p4::v1::Update::INSERT);
    auto* entry = update.mutable_entity()->mutable_table_entry();
    entry->set_table_id(table.preamble().id());
    bool needs_priority = false;
    for (const auto& field : fields) {
        const ::p4::config::v1::MatchField* mf = nullptr;
        for (const auto& m : table.match_fields())
            if (m.name() == field.name)
                mf = &m;
        if (!mf)
            throw InputError(where + " has no match field '" + field.name + "'");
        std::string what = where + ": field '" + field.name + "'";
        int width = mf->bitwidth();
        if (mf->match_type() == ::p4::config::v1::MatchField::TERNARY)
            needs_priority = true;
        if (field.match.wildcard)
            continue;
        auto* fm = entry->add_match();
        fm->set_field_id(mf->id());
        switch (mf->match_type()) {
            case ::p4::config::v1::MatchField::EXACT:
                fm->mutable_exact()->set_value(bytes_of(field.match.value, width, what));
                break;
            case ::p4::config::v1::MatchField::LPM: {
                int len = field.match.prefix_len < 0 ? width : field.match.prefix_len;
                uint64_t keep = len == 0 ? 0 : (width >= 64 ? ~0ULL : (1ULL << width) - 1);
                if (len > 0 && len < width)
                    keep &= ~((1ULL << (width - len)) - 1);
                fm->mutable_lpm()->set_value(bytes_of(field.match.value & keep, width, what));
                fm->mutable_lpm()->set_prefix_len(len);
                break;
            }
            case ::p4::config::v1::MatchField::TERNARY: {
                uint64_t all = width >= 64 ? ~0ULL : (1ULL << width) - 1;
                uint64_t mask = field.match.mask & all;
                fm->mutable_ternary()->set_value(bytes_of(field.match.value & mask, width, what));
                fm->mutable_ternary()->set_mask(bytes_of(mask, width, what));
                break;
            }
            default:
                throw InputError(what + ": match kind " + std::to_string(mf->match_type()) +
                                 " is not written by CHIMA");
        }
    }
    entry->set_priority(needs_priority ? std::max(priority, 1) : 0);
    auto* act = entry->mutable_action()->mutable_action();
    act->set_action_id(action.preamble().id());
    if (static_cast<size_t>(action.params_size()) != params.size())
        throw InputError(where + ": action '" + action_name + "' takes " +
                         std::to_string(action.params_size()) + " parameters, not " +
                         std::to_string(params.size()));
    for (int i = 0; i < action.params_size(); ++i) {
        auto* p = act->add_params();
        p->set_param_id(action.params(i).id());
        p->set_value(bytes_of(
            params[i], action.params(i).bitwidth(),
            where + ": action '" + action_name + "' parameter '" + action.params(i).name() + "'"));
    }
    return update;
}

p4::KeyMatch exact(uint64_t v) {
    p4::KeyMatch m;
    m.value = v;
    return m;
}

p4::KeyMatch wildcard() {
    p4::KeyMatch m;
    m.wildcard = true;
    return m;
}

}  // namespace

V1modelRequests v1model_requests(const Deployment& d, const std::string& sw,
                                 const std::map<std::string, nlohmann::json>& function_p4info,
                                 const P4Info& info, const std::string& device_config,
                                 Election election) {
    const Switch* s = d.topology.find_switch(sw);
    if (!s)
        throw InputError("switch '" + sw + "' is not in the deployment's topology");
    Names names(info, sw);
    V1modelRequests out;
    auto set_ids = [&](auto& request) {
        request.set_device_id(s->device_id);
        request.mutable_election_id()->set_high(election.high);
        request.mutable_election_id()->set_low(election.low);
    };

    set_ids(out.pipeline);
    out.pipeline.set_action(::p4::v1::SetForwardingPipelineConfigRequest::VERIFY_AND_COMMIT);
    *out.pipeline.mutable_config()->mutable_p4info() = info;
    out.pipeline.mutable_config()->set_p4_device_config(device_config);

    set_ids(out.entries);
    auto& updates = *out.entries.mutable_updates();
    // The switch's INT id (initial hops 0: the pipeline's default of 8).
    *updates.Add() = insert(names, std::string(kIngress) + "switch_config",
                            {{"standard_metadata.ingress_port", wildcard()}},
                            std::string(kIngress) + "set_switch_id", {s->id, 0}, 1);
    // Forwarding for every endpoint the switch reaches, by MAC and by IPv4 (as chima-route
    // writes it on an eBPF switch).
    for (const auto& e : d.forwarding_entries(sw)) {
        *updates.Add() = insert(names, std::string(kIngress) + "mac_forwarding",
                                {{"hdr.ethernet.dst_addr", exact(e.mac.value)}},
                                std::string(kIngress) + "forward", {e.port}, 0);
        *updates.Add() = insert(names, std::string(kIngress) + "forwarding",
                                {{"hdr.ipv4.dst_addr", exact(e.ip.value)}},
                                std::string(kIngress) + "forward", {e.port}, 0);
    }
    // Each P4 function's service.yaml entries, in the instance of its slot.
    for (const auto& f : d.functions) {
        if (f.spec.type != FunctionType::P4 || f.node != sw || f.spec.entries.empty())
            continue;
        std::string key = f.chain + "/" + f.spec.name;
        auto it = function_p4info.find(key);
        if (it == function_p4info.end())
            throw InputError("function '" + key + "' has table entries but no P4Info");
        const auto& own = it->second;
        std::string prefix = slot_prefix(f.slot);
        for (const auto& spec : resolve_entries(f, own)) {
            const nlohmann::json* table = nullptr;
            for (const auto& t : own.at("tables"))
                if (t.at("name") == spec.table)
                    table = &t;
            std::vector<FieldValue> fields;
            const auto& keys = table->at("keys");
            for (size_t i = 0; i < keys.size() && i < spec.keys.size(); ++i)
                fields.push_back({keys[i].at("name").get<std::string>(), spec.keys[i]});
            std::string table_name =
                names.has_table(prefix + spec.table) ? prefix + spec.table : spec.table;
            std::string action_name =
                names.has_action(prefix + spec.action) ? prefix + spec.action : spec.action;
            *updates.Add() = insert(names, table_name, fields, action_name, spec.params,
                                    static_cast<int32_t>(spec.priority));
        }
    }
    return out;
}

P4Info read_p4info_text(const std::string& path) {
    P4Info info;
    if (!google::protobuf::TextFormat::ParseFromString(read_file(path), &info))
        throw InputError(SourceMark{path}, "not a P4Info in protobuf text format");
    return info;
}

nlohmann::json requests_json(const std::string& sw, const V1modelRequests& requests) {
    auto to_json = [](const google::protobuf::Message& m) {
        std::string text;
        google::protobuf::util::JsonPrintOptions options;
        options.preserve_proto_field_names = true;
        auto status = google::protobuf::util::MessageToJsonString(m, &text, options);
        if (!status.ok())
            throw RuntimeError("printing a P4Runtime request as JSON: " + status.ToString());
        return nlohmann::json::parse(text);
    };
    return {{"switch", sw},
            {"device_id", requests.pipeline.device_id()},
            {"requests",
             {{{"set_forwarding_pipeline_config", to_json(requests.pipeline)}},
              {{"write", to_json(requests.entries)}}}}};
}

nlohmann::json v1model_dry_run(const Deployment& d, const std::string& artifacts_file,
                               Election election) {
    nlohmann::json doc = nlohmann::json::parse(read_file(artifacts_file), nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
        throw InputError(SourceMark{artifacts_file}, "not a JSON document");
    std::map<std::string, nlohmann::json> function_p4info;
    for (const auto& f : doc.value("functions", nlohmann::json::array())) {
        std::string file = f.value("p4info", "");
        if (!file.empty())
            function_p4info[f.value("chain", "") + "/" + f.value("name", "")] =
                nlohmann::json::parse(read_file(file));
    }
    const nlohmann::json recorded = doc.value("switches", nlohmann::json::array());
    nlohmann::json out = nlohmann::json::array();
    for (const auto& s : d.topology.switches) {
        if (s.target != SwitchTarget::P4Runtime)
            continue;
        const nlohmann::json* entry = nullptr;
        for (const auto& e : recorded)
            if (e.value("name", "") == s.name)
                entry = &e;
        if (!entry || !entry->contains("bmv2_json") || !entry->contains("p4c_p4info"))
            throw InputError(SourceMark{artifacts_file},
                             "switch '" + s.name +
                                 "' (target p4runtime) has no p4c outputs (bmv2_json, "
                                 "p4c_p4info): run chima-compile with p4c on PATH");
        auto info = read_p4info_text(entry->at("p4c_p4info").get<std::string>());
        std::string config = read_file(entry->at("bmv2_json").get<std::string>());
        out.push_back(requests_json(
            s.name, v1model_requests(d, s.name, function_p4info, info, config, election)));
    }
    return out;
}

}  // namespace chima::deploy
