// The SwitchDevice over P4Runtime: every operation is one Write batch on the template's
// tables (docs/architecture.md, "P4Runtime view of the eBPF switch"), a Read of its
// counters, or a pipeline config push that changes one slot.
#include "chima/remote/p4runtime_switch.hpp"

#include <algorithm>
#include <mutex>
#include <optional>

#include "chima/bpf/switch_pipeline.hpp"
#include "chima/switch.h"
#include "p4runtime_arbitration.hpp"
#include "p4runtime_connection.hpp"
#include "p4runtime_names.hpp"
#include "p4runtime_pipeline.hpp"

namespace chima::remote {

namespace {

using detail::FieldMatch;
using Update = ::p4::v1::Update;
using Kind = FieldMatch::Kind;

// The template's names (p4/chima.p4; p4rt/template_bindings.cpp binds them on the agent).
constexpr const char* kMacTable = "ChimaIngress.mac_forwarding";
constexpr const char* kPrefixTable = "ChimaIngress.forwarding";
constexpr const char* kSwitchConfig = "ChimaIngress.switch_config";
constexpr const char* kIntSource = "ChimaIngress.int_source";
constexpr const char* kSinkPorts = "ChimaEgress.int_sink_ports";
constexpr const char* kIntReport = "ChimaEgress.int_report";
constexpr const char* kForward = "ChimaIngress.forward";
constexpr const char* kSetSwitchId = "ChimaIngress.set_switch_id";
// The one entry of a single-entry ternary table (every port) needs a priority.
constexpr int32_t kOnlyEntryPriority = 1;

Update update(Update::Type type, const ::p4::v1::TableEntry& entry) {
    Update u;
    u.set_type(type);
    *u.mutable_entity()->mutable_table_entry() = entry;
    return u;
}

void check_slot(uint32_t slot) {
    if (slot < 1 || slot >= CHIMA_MAX_SLOTS)
        throw InputError("slot " + std::to_string(slot) + " is outside 1.." +
                         std::to_string(CHIMA_MAX_SLOTS - 1));
}

class P4RuntimeSwitch final : public device::SwitchDevice {
  public:
    P4RuntimeSwitch(const std::string& name, const SwitchEndpoint& endpoint)
        : name_(name), connection_(name, endpoint) {
        stream_ = std::make_unique<detail::PrimaryStream>(connection_);
        adopt(detail::device_p4info(connection_));
    }

    const std::string& name() const override { return name_; }

    void load_function(uint32_t slot, const device::FunctionLoad& function) override {
        std::lock_guard lock(mutex_);
        check_slot(slot);
        // Everything about the function is checked before the device is asked anything.
        auto f = detail::slot_function_config(slot, function);
        adopt(detail::change_slot(connection_, slot, &f));
    }

    void clear_slot(uint32_t slot) override {
        std::lock_guard lock(mutex_);
        check_slot(slot);
        adopt(detail::change_slot(connection_, slot, nullptr));
    }

    uint32_t slot_function(uint32_t slot) const override {
        std::lock_guard lock(mutex_);
        check_slot(slot);
        return detail::slot_function_id(connection_, slot);
    }

    void set_mac_route(Mac destination, uint32_t port) override {
        std::lock_guard lock(mutex_);
        auto e =
            names().entry(kMacTable, {{"hdr.ethernet.dst_addr", Kind::Exact, destination.value}});
        names().set_action(e, kForward, {{"port", port}});
        upsert("set_mac_route", e);
    }

    void set_prefix_route(Ipv4 prefix, uint8_t prefix_len, uint32_t port) override {
        std::lock_guard lock(mutex_);
        auto e = names().entry(kPrefixTable,
                               {{"hdr.ipv4.dst_addr", Kind::Lpm, prefix.value, prefix_len}});
        names().set_action(e, kForward, {{"port", port}});
        upsert("set_prefix_route", e);
    }

    void delete_mac_route(Mac destination) override {
        std::lock_guard lock(mutex_);
        remove(
            "delete_mac_route",
            names().entry(kMacTable, {{"hdr.ethernet.dst_addr", Kind::Exact, destination.value}}));
    }

    void delete_prefix_route(Ipv4 prefix, uint8_t prefix_len) override {
        std::lock_guard lock(mutex_);
        remove("delete_prefix_route", names().entry(kPrefixTable, {{"hdr.ipv4.dst_addr", Kind::Lpm,
                                                                    prefix.value, prefix_len}}));
    }

    void watch_flow(Ipv4 source, Ipv4 destination) override {
        std::lock_guard lock(mutex_);
        auto e = flow_entry(source, destination);
        names().set_action(e, "ChimaIngress.mark_int_source", {});
        upsert("watch_flow", e);
    }

    void unwatch_flow(Ipv4 source, Ipv4 destination) override {
        std::lock_guard lock(mutex_);
        remove("unwatch_flow", flow_entry(source, destination));
    }

    void set_int_switch_id(uint32_t switch_id) override {
        std::lock_guard lock(mutex_);
        set_switch_config("set_int_switch_id", switch_id, std::nullopt);
    }

    void set_int_initial_hops(uint32_t hops) override {
        std::lock_guard lock(mutex_);
        set_switch_config("set_int_initial_hops", std::nullopt, hops);
    }

    void set_int_sink_port(uint32_t port, bool sink) override {
        std::lock_guard lock(mutex_);
        auto e = names().entry(kSinkPorts, {{"standard_metadata.egress_port", Kind::Exact, port}});
        if (!sink) {
            remove("set_int_sink_port", e);
            return;
        }
        names().set_action(e, "ChimaEgress.mark_int_sink", {});
        upsert("set_int_sink_port", e);
    }

    void set_int_report(const device::IntReportTarget& report) override {
        std::lock_guard lock(mutex_);
        // 0 is the Telemetry Report default port, as on the eBPF device.
        bpf::IntReportTarget defaults;
        auto existing = read_entries(kIntReport);
        auto e = names().entry(kIntReport, {},
                               existing.empty() ? kOnlyEntryPriority : existing[0].priority());
        names().set_action(
            e, "ChimaEgress.set_report_endpoints",
            {{"src_mac", 0},  // the eBPF switch sends from the report port's own MAC
             {"collector_mac", report.collector_mac.value},
             {"src_ip", report.source.value},
             {"collector_ip", report.collector.value},
             {"src_udp_port",
              report.source_udp_port ? report.source_udp_port : defaults.source_udp_port},
             {"collector_udp_port",
              report.collector_udp_port ? report.collector_udp_port : defaults.collector_udp_port},
             {"port", report.port}});
        write("set_int_report", {update(existing.empty() ? Update::INSERT : Update::MODIFY, e)});
    }

    void clear_int_report() override {
        std::lock_guard lock(mutex_);
        std::vector<Update> updates;
        for (const auto& e : read_entries(kIntReport))
            updates.push_back(update(Update::DELETE, e));
        if (!updates.empty())
            write("clear_int_report", updates);
    }

    device::PortCounters port_counters(uint32_t port) const override {
        std::lock_guard lock(mutex_);
        if (port >= CHIMA_MAX_PORTS)
            throw InputError("port " + std::to_string(port) + " is outside 0.." +
                             std::to_string(CHIMA_MAX_PORTS - 1));
        std::vector<::p4::v1::Entity> request(2);
        auto* rx = request[0].mutable_counter_entry();
        rx->set_counter_id(names().counter("ChimaIngress.port_rx"));
        rx->mutable_index()->set_index(port);
        auto* tx = request[1].mutable_counter_entry();
        tx->set_counter_id(names().counter("ChimaEgress.port_tx"));
        tx->mutable_index()->set_index(port);
        device::PortCounters out;
        for (const auto& e : connection_.read(request)) {
            const auto& c = e.counter_entry();
            auto packets = static_cast<uint64_t>(c.data().packet_count());
            auto bytes = static_cast<uint64_t>(c.data().byte_count());
            if (c.counter_id() == rx->counter_id()) {
                out.rx_packets = packets;
                out.rx_bytes = bytes;
            } else if (c.counter_id() == tx->counter_id()) {
                out.tx_packets = packets;
                out.tx_bytes = bytes;
            }
        }
        return out;
    }

    device::DropCounters drop_counters() const override {
        std::lock_guard lock(mutex_);
        device::DropCounters out;
        for (unsigned r = 0; r < CHIMA_DROP_REASON_COUNT; ++r)
            out[bpf::drop_reason_name(r)] = 0;
        ::p4::v1::Entity request;
        request.mutable_counter_entry()->set_counter_id(names().counter("ChimaIngress.drops"));
        for (const auto& e : connection_.read({request})) {
            const auto& c = e.counter_entry();
            if (c.has_index() && c.index().index() >= 0 &&
                c.index().index() < CHIMA_DROP_REASON_COUNT)
                out[bpf::drop_reason_name(static_cast<unsigned>(c.index().index()))] =
                    static_cast<uint64_t>(c.data().packet_count());
        }
        return out;
    }

  private:
    const detail::P4InfoNames& names() const { return *names_; }

    void adopt(std::optional<::p4::config::v1::P4Info> info) {
        if (info)
            names_.emplace(*info, connection_.where());
    }

    void write(const std::string& op, const std::vector<Update>& updates) {
        grpc::Status s = connection_.write(updates);
        if (!s.ok())
            throw connection_.error("Write (" + op + ")", s);
    }

    // Set replaces: INSERT, and MODIFY where the entry is there already.
    void upsert(const std::string& op, const ::p4::v1::TableEntry& entry) {
        grpc::Status s = connection_.write({update(Update::INSERT, entry)});
        if (!s.ok() && detail::update_codes(s) ==
                           std::vector<int>{static_cast<int>(grpc::StatusCode::ALREADY_EXISTS)})
            s = connection_.write({update(Update::MODIFY, entry)});
        if (!s.ok())
            throw connection_.error("Write (" + op + ")", s);
    }

    // Deleting what is not there is no error (the eBPF device's deletes are idempotent).
    void remove(const std::string& op, const ::p4::v1::TableEntry& entry) {
        grpc::Status s = connection_.write({update(Update::DELETE, entry)});
        if (!s.ok() && detail::update_codes(s) ==
                           std::vector<int>{static_cast<int>(grpc::StatusCode::NOT_FOUND)})
            return;
        if (!s.ok())
            throw connection_.error("Write (" + op + ")", s);
    }

    ::p4::v1::TableEntry flow_entry(Ipv4 source, Ipv4 destination) const {
        return names().entry(kIntSource, {{"hdr.ipv4.src_addr", Kind::Exact, source.value},
                                          {"hdr.ipv4.dst_addr", Kind::Exact, destination.value}});
    }

    std::vector<::p4::v1::TableEntry> read_entries(const char* table) const {
        ::p4::v1::Entity request;
        request.mutable_table_entry()->set_table_id(names().table_id(table));
        std::vector<::p4::v1::TableEntry> out;
        for (auto& e : connection_.read({request}))
            out.push_back(e.table_entry());
        return out;
    }

    // The switch id and the initial hops share one entry: the one not given stays.
    void set_switch_config(const std::string& op, std::optional<uint32_t> switch_id,
                           std::optional<uint32_t> hops) {
        auto existing = read_entries(kSwitchConfig);
        uint64_t id = 0, initial = 0;
        int32_t priority = kOnlyEntryPriority;
        if (!existing.empty()) {
            id = names().param(existing[0], kSetSwitchId, "switch_id");
            initial = names().param(existing[0], kSetSwitchId, "initial_hops");
            priority = existing[0].priority();
        }
        auto e = names().entry(kSwitchConfig, {}, priority);
        names().set_action(
            e, kSetSwitchId,
            {{"switch_id", switch_id.value_or(id)}, {"initial_hops", hops.value_or(initial)}});
        write(op, {update(existing.empty() ? Update::INSERT : Update::MODIFY, e)});
    }

    std::string name_;
    // One operation at a time: a slot change replaces the P4Info the others resolve names in.
    mutable std::mutex mutex_;
    mutable detail::P4RuntimeConnection connection_;
    std::unique_ptr<detail::PrimaryStream> stream_;
    std::optional<detail::P4InfoNames> names_;
};

}  // namespace

std::unique_ptr<device::SwitchDevice> open_p4runtime_switch(const std::string& name,
                                                            const SwitchEndpoint& endpoint) {
    return std::make_unique<P4RuntimeSwitch>(name, endpoint);
}

}  // namespace chima::remote
