// The SwitchDevice of an emulated switch: its pinned pipeline, opened once.
#pragma once

#include <string>

#include "chima/bpf/switch_pipeline.hpp"
#include "chima/device/switch_device.hpp"

namespace chima::device {

class EbpfSwitch final : public SwitchDevice {
  public:
    EbpfSwitch(std::string name, const std::string& pin_dir);

    const std::string& name() const override { return name_; }
    void load_function(uint32_t slot, const FunctionLoad& function) override;
    void clear_slot(uint32_t slot) override { pipeline_.clear_slot(slot); }
    uint32_t slot_function(uint32_t slot) const override;
    void set_mac_route(Mac destination, uint32_t port) override;
    void set_prefix_route(Ipv4 prefix, uint8_t prefix_len, uint32_t port) override;
    void delete_mac_route(Mac destination) override;
    void delete_prefix_route(Ipv4 prefix, uint8_t prefix_len) override;
    void watch_flow(Ipv4 source, Ipv4 destination) override;
    void unwatch_flow(Ipv4 source, Ipv4 destination) override;
    void set_int_switch_id(uint32_t switch_id) override;
    void set_int_initial_hops(uint32_t hops) override;
    void set_int_sink_port(uint32_t port, bool sink) override;
    void set_int_report(const IntReportTarget& report) override;
    void clear_int_report() override { pipeline_.clear_int_report(); }
    PortCounters port_counters(uint32_t port) const override;
    DropCounters drop_counters() const override;

  private:
    std::string name_;
    bpf::SwitchPipeline pipeline_;
};

}  // namespace chima::device
