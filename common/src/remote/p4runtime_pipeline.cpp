#include "p4runtime_pipeline.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "chima/content_hash.hpp"
#include "chima/p4/entries.hpp"
#include "chima/remote/p4runtime_function_info.hpp"
#include "chima/state_file.hpp"

namespace chima::remote::detail {

namespace {

using nlohmann::json;
using Set = ::p4::v1::SetForwardingPipelineConfigRequest;
using Get = ::p4::v1::GetForwardingPipelineConfigRequest;

json empty_chima_p4info() {
    return {{"format", "chima-p4info-1"},
            {"tables", json::array()},
            {"actions", json::array()},
            {"counters", json::array()},
            {"registers", json::array()}};
}

p4::DeviceConfig parse_config(const P4RuntimeConnection& connection, const std::string& bytes) {
    if (bytes.empty())
        return {};
    try {
        return p4::device_config_from_json(json::parse(bytes));
    } catch (const std::exception& e) {
        throw RuntimeError(connection.where() + ": its device config is not CHIMA's: " + e.what());
    }
}

void push(P4RuntimeConnection& connection, const ::p4::v1::ForwardingPipelineConfig& config,
          Set::Action action) {
    grpc::Status s = connection.set_pipeline(action, config);
    if (s.error_code() == grpc::StatusCode::UNIMPLEMENTED && action == Set::RECONCILE_AND_COMMIT) {
        // The device cannot keep its state across a change: it reloads all of it (the
        // forwarding state is cleared).
        spdlog::warn(
            "{}: RECONCILE_AND_COMMIT is not implemented ({}): a full reload with "
            "VERIFY_AND_COMMIT",
            connection.where(), s.error_message());
        s = connection.set_pipeline(Set::VERIFY_AND_COMMIT, config);
    }
    if (!s.ok())
        throw connection.error("SetForwardingPipelineConfig", s);
}

}  // namespace

SlotFunctionConfig slot_function_config(uint32_t slot, const device::FunctionLoad& function) {
    SlotFunctionConfig out;
    p4::DeviceConfigFunction& f = out.config;
    f.slot = slot;
    f.object = read_file(function.object);
    f.hash = fnv1a_hex(f.object);
    f.p4info = function.p4info.is_null() ? empty_chima_p4info() : function.p4info;
    f.name = f.p4info.value("function", "slot " + std::to_string(slot));
    f.control = f.name;
    f.program =
        !function.program.empty() ? function.program : f.p4info.value("program", "chima_function");
    out.entities = function_entities(function.p4info, slot);
    f.p4runtime_info = p4::p4runtime_info(out.entities);
    // An entry that does not fit its table is bad input, refused before the device is asked
    // (as the eBPF device refuses it before the slot changes).
    for (const auto& e : function.entries) {
        if (function.p4info.is_null())
            throw InputError("slot " + std::to_string(slot) +
                             ": the function has entries but no p4info");
        p4::encode_entry(function.p4info, e);
    }
    f.entries = function.entries;
    return out;
}

::p4::config::v1::P4Info device_p4info(P4RuntimeConnection& connection) {
    auto response = connection.get_pipeline(Get::P4INFO_AND_COOKIE);
    if (response.has_config() && response.config().has_p4info())
        return response.config().p4info();
    const json& tmpl = connection.endpoint().template_p4info;
    if (tmpl.is_null())
        throw RuntimeError(connection.where() +
                           ": has no forwarding pipeline config (push the switch's device "
                           "config first, or give the template's P4Info)");
    ::p4::v1::ForwardingPipelineConfig config;
    *config.mutable_p4info() = p4info_from_json(tmpl);
    p4::DeviceConfig empty;
    empty.template_name = "chima.p4";
    empty.template_hash = fnv1a_hex(tmpl.dump());
    config.set_p4_device_config(p4::to_json(empty).dump());
    spdlog::info("{}: no pipeline yet: committing the template alone", connection.where());
    push(connection, config, Set::VERIFY_AND_COMMIT);
    return config.p4info();
}

std::optional<::p4::config::v1::P4Info> change_slot(P4RuntimeConnection& connection, uint32_t slot,
                                                    const SlotFunctionConfig* function) {
    auto response = connection.get_pipeline(Get::ALL);
    if (!response.has_config()) {
        device_p4info(connection);
        response = connection.get_pipeline(Get::ALL);
    }
    ::p4::v1::ForwardingPipelineConfig config = response.config();
    p4::DeviceConfig device = parse_config(connection, config.p4_device_config());
    auto& fns = device.functions;
    bool had = std::erase_if(fns, [&](const auto& f) { return f.slot == slot; }) > 0;
    if (!function && !had)
        return std::nullopt;  // already empty
    if (function) {
        auto at =
            std::find_if(fns.begin(), fns.end(), [&](const auto& f) { return f.slot > slot; });
        fns.insert(at, function->config);
    }
    *config.mutable_p4info() =
        p4info_with_slot(config.p4info(), slot, function ? function->entities : p4::P4rtEntities{});
    config.set_p4_device_config(p4::to_json(device).dump());
    push(connection, config, Set::RECONCILE_AND_COMMIT);
    return config.p4info();
}

uint32_t slot_function_id(P4RuntimeConnection& connection, uint32_t slot) {
    auto response = connection.get_pipeline(Get::DEVICE_CONFIG_AND_COOKIE);
    for (const auto& f : parse_config(connection, response.config().p4_device_config()).functions) {
        if (f.slot != slot)
            continue;
        json key = {f.hash, f.program, json::array()};
        for (const auto& e : f.entries)
            key[2].push_back(p4::entry_to_json(e));
        uint32_t id = static_cast<uint32_t>(fnv1a(key.dump()));
        return id ? id : 1;
    }
    return 0;
}

}  // namespace chima::remote::detail
