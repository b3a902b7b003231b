#include "chima/device/memory_devices.hpp"

#include "chima/error.hpp"

namespace chima::device {

namespace {

std::string flow_text(Ipv4 source, Ipv4 destination) {
    return source.str() + ">" + destination.str();
}

}  // namespace

// Each operation is journalled before it changes anything: an injected failure leaves the
// switch as it was, like a refused kernel update.
void MemorySwitch::load_function(uint32_t slot, const FunctionLoad& function) {
    std::lock_guard lock(mutex_);
    record("load " + std::to_string(slot) + " " + function.object + " entries " +
           std::to_string(function.entries.size()));
    slots_[slot] = {function.object, next_id_++};
}

void MemorySwitch::clear_slot(uint32_t slot) {
    std::lock_guard lock(mutex_);
    record("clear " + std::to_string(slot));
    slots_.erase(slot);
}

uint32_t MemorySwitch::slot_function(uint32_t slot) const {
    std::lock_guard lock(mutex_);
    auto it = slots_.find(slot);
    return it == slots_.end() ? 0 : it->second.id;
}

void MemorySwitch::set_mac_route(Mac destination, uint32_t port) {
    record("mac_route " + destination.str() + " " + std::to_string(port));
}

void MemorySwitch::set_prefix_route(Ipv4 prefix, uint8_t prefix_len, uint32_t port) {
    record("prefix_route " + prefix.str() + "/" + std::to_string(prefix_len) + " " +
           std::to_string(port));
}

void MemorySwitch::delete_mac_route(Mac destination) {
    record("delete_mac_route " + destination.str());
}

void MemorySwitch::delete_prefix_route(Ipv4 prefix, uint8_t prefix_len) {
    record("delete_prefix_route " + prefix.str() + "/" + std::to_string(prefix_len));
}

void MemorySwitch::watch_flow(Ipv4 source, Ipv4 destination) {
    std::lock_guard lock(mutex_);
    record("watch " + flow_text(source, destination));
    watched_.insert({source.value, destination.value});
}

void MemorySwitch::unwatch_flow(Ipv4 source, Ipv4 destination) {
    std::lock_guard lock(mutex_);
    record("unwatch " + flow_text(source, destination));
    watched_.erase({source.value, destination.value});
}

void MemorySwitch::set_int_switch_id(uint32_t switch_id) {
    record("int_switch_id " + std::to_string(switch_id));
}

void MemorySwitch::set_int_initial_hops(uint32_t hops) {
    record("int_initial_hops " + std::to_string(hops));
}

void MemorySwitch::set_int_sink_port(uint32_t port, bool sink) {
    record("int_sink_port " + std::to_string(port) + (sink ? " on" : " off"));
}

void MemorySwitch::set_int_report(const IntReportTarget& report) {
    record("int_report " + report.collector.str() + " port " + std::to_string(report.port));
}

void MemorySwitch::clear_int_report() {
    record("int_report off");
}

PortCounters MemorySwitch::port_counters(uint32_t) const {
    return {};  // no packets pass a switch in memory
}

DropCounters MemorySwitch::drop_counters() const {
    return {};
}

std::map<uint32_t, std::string> MemorySwitch::slots() const {
    std::lock_guard lock(mutex_);
    std::map<uint32_t, std::string> out;
    for (const auto& [slot, s] : slots_)
        out[slot] = s.object;
    return out;
}

std::set<std::pair<uint32_t, uint32_t>> MemorySwitch::watched() const {
    std::lock_guard lock(mutex_);
    return watched_;
}

}  // namespace chima::device
