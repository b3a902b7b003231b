// The template pipeline's tables, counters and register over the switch's own maps.
#include <string>

#include "chima/bpf/switch_pipeline.hpp"
#include "chima/error.hpp"
#include "chima/p4rt/bytestring.hpp"
#include "template_bindings.hpp"

namespace chima::p4rt::detail {

namespace {

using grpc::StatusCode;

// The switch, or a RuntimeError when the entities were made without one (validation tests).
struct Pipe {
    bpf::SwitchPipeline* p = nullptr;
    bpf::SwitchPipeline* operator->() const {
        if (!p)
            throw RuntimeError("no switch pipeline behind the P4Runtime entities");
        return p;
    }
};

const std::string& action_of(const TableInfo& t, const EntryValue& e) {
    return t.action_names.at(e.action_id);
}

bool is_action(const TableInfo& t, const EntryValue& e, const char* suffix) {
    const std::string& name = action_of(t, e);
    std::string s = suffix;
    return name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
}

uint32_t check_port(const TableInfo& t, uint64_t port, const std::string& what) {
    if (port == 0 || port >= CHIMA_MAX_PORTS)
        fail(StatusCode::INVALID_ARGUMENT, t.name + ": " + what + " " + std::to_string(port) +
                                               " is not a port of this switch (1.." +
                                               std::to_string(CHIMA_MAX_PORTS - 1) + ")");
    return static_cast<uint32_t>(port);
}

void require_absent(const TableInfo& t, const EntryValue& e, size_t i) {
    if (e.fields[i].present)
        fail(StatusCode::UNIMPLEMENTED, t.name + ": the eBPF switch cannot match on field '" +
                                            t.fields[i].name + "' (leave it don't care)");
}

class PrefixRoutes : public TableBackend {
  public:
    explicit PrefixRoutes(bpf::SwitchPipeline* sw) : sw_{sw} {}
    void check(const TableInfo& t, const EntryValue& e) const override {
        if (is_action(t, e, ".forward"))
            check_port(t, e.params.at(0), "port");
    }
    void put(const TableInfo& t, const EntryValue& e) override {
        auto [addr, len] = prefix(e);
        if (is_action(t, e, ".forward"))
            sw_->set_prefix_route(Ipv4{addr}, len, static_cast<uint32_t>(e.params.at(0)));
        else
            sw_->set_prefix_drop(Ipv4{addr}, len);
    }
    void erase(const TableInfo&, const EntryValue& e) override {
        auto [addr, len] = prefix(e);
        sw_->delete_prefix_route(Ipv4{addr}, len);
    }
    int64_t capacity() const override { return CHIMA_MAX_PREFIX_ROUTES; }

  private:
    static std::pair<uint32_t, uint8_t> prefix(const EntryValue& e) {
        const FieldValue& f = e.fields.at(0);
        if (!f.present)
            return {0, 0};
        return {static_cast<uint32_t>(f.value), static_cast<uint8_t>(f.prefix_len)};
    }
    Pipe sw_;
};

class MacRoutes : public TableBackend {
  public:
    explicit MacRoutes(bpf::SwitchPipeline* sw) : sw_{sw} {}
    void check(const TableInfo& t, const EntryValue& e) const override {
        if (is_action(t, e, ".forward"))
            check_port(t, e.params.at(0), "port");
    }
    void put(const TableInfo& t, const EntryValue& e) override {
        Mac mac{e.fields.at(0).value};
        if (is_action(t, e, ".forward"))
            sw_->set_mac_route(mac, static_cast<uint32_t>(e.params.at(0)));
        else
            sw_->set_mac_drop(mac);
    }
    void erase(const TableInfo&, const EntryValue& e) override {
        sw_->delete_mac_route(Mac{e.fields.at(0).value});
    }
    int64_t capacity() const override { return CHIMA_MAX_MAC_ROUTES; }

  private:
    Pipe sw_;
};

// One switch id for the whole switch: one entry, matching every ingress port.
class SwitchId : public TableBackend {
  public:
    explicit SwitchId(bpf::SwitchPipeline* sw) : sw_{sw} {}
    void check(const TableInfo& t, const EntryValue& e) const override {
        require_absent(t, e, 0);
        if (is_action(t, e, ".set_switch_id") && e.params.at(0) > CHIMA_INT_SWITCH_ID_MASK)
            fail(StatusCode::INVALID_ARGUMENT, t.name +
                                                   ": the eBPF switch's INT switch id is at most " +
                                                   std::to_string(CHIMA_INT_SWITCH_ID_MASK) +
                                                   " (the bits above carry "
                                                   "function ids)");
        if (is_action(t, e, ".set_switch_id") && e.params.at(1) > CHIMA_INT_MAX_HOPS)
            fail(StatusCode::OUT_OF_RANGE,
                 t.name + ": initial_hops is at most " + std::to_string(CHIMA_INT_MAX_HOPS));
    }
    std::string plane_key(const TableInfo&, const EntryValue&) const override { return "id"; }
    void put(const TableInfo& t, const EntryValue& e) override {
        bool set = is_action(t, e, ".set_switch_id");
        sw_->set_int_switch_id(set ? static_cast<uint32_t>(e.params.at(0)) : 0);
        // initial_hops 0 means the default, as on v1model.
        uint32_t hops = set ? static_cast<uint32_t>(e.params.at(1)) : 0;
        sw_->set_int_initial_hops(hops == 0 ? CHIMA_INT_MAX_HOPS : hops);
    }
    void erase(const TableInfo&, const EntryValue&) override {
        sw_->set_int_switch_id(0);
        sw_->set_int_initial_hops(CHIMA_INT_MAX_HOPS);
    }
    int64_t capacity() const override { return 1; }

  private:
    Pipe sw_;
};

// Watched flows: exact (source, destination), any L4 ports. Both keys are exact fields, which
// the entry's validation already requires present.
class IntWatchlist : public TableBackend {
  public:
    explicit IntWatchlist(bpf::SwitchPipeline* sw) : sw_{sw} {}
    void check(const TableInfo& t, const EntryValue& e) const override {
        if (!is_action(t, e, ".mark_int_source"))
            fail(StatusCode::UNIMPLEMENTED,
                 t.name + ": the eBPF switch holds only mark_int_source entries");
    }
    std::string plane_key(const TableInfo&, const EntryValue& e) const override {
        return std::to_string(e.fields[0].value) + "," + std::to_string(e.fields[1].value);
    }
    void put(const TableInfo&, const EntryValue& e) override {
        sw_->watch_flow(Ipv4{static_cast<uint32_t>(e.fields[0].value)},
                        Ipv4{static_cast<uint32_t>(e.fields[1].value)});
    }
    void erase(const TableInfo&, const EntryValue& e) override {
        sw_->unwatch_flow(Ipv4{static_cast<uint32_t>(e.fields[0].value)},
                          Ipv4{static_cast<uint32_t>(e.fields[1].value)});
    }
    int64_t capacity() const override { return CHIMA_INT_MAX_WATCHED_FLOWS; }

  private:
    Pipe sw_;
};

// One report target for every port (the key is a wildcard); reports leave by the `port`
// parameter. The report's source MAC is that port's own (the switch's port configuration),
// whatever src_mac says.
class IntReport : public TableBackend {
  public:
    explicit IntReport(bpf::SwitchPipeline* sw) : sw_{sw} {}
    void check(const TableInfo& t, const EntryValue& e) const override {
        require_absent(t, e, 0);
        if (is_action(t, e, ".set_report_endpoints"))
            check_port(t, e.params.at(6), "report port");
    }
    std::string plane_key(const TableInfo&, const EntryValue&) const override { return "report"; }
    void put(const TableInfo& t, const EntryValue& e) override {
        if (!is_action(t, e, ".set_report_endpoints")) {
            sw_->clear_int_report();
            return;
        }
        bpf::IntReportTarget target;
        target.collector_mac = Mac{e.params.at(1)};
        target.source = Ipv4{static_cast<uint32_t>(e.params.at(2))};
        target.collector = Ipv4{static_cast<uint32_t>(e.params.at(3))};
        target.source_udp_port = static_cast<uint16_t>(e.params.at(4));
        target.collector_udp_port = static_cast<uint16_t>(e.params.at(5));
        target.port = static_cast<uint32_t>(e.params.at(6));
        sw_->set_int_report(target);
    }
    void erase(const TableInfo&, const EntryValue&) override { sw_->clear_int_report(); }
    int64_t capacity() const override { return 1; }

  private:
    Pipe sw_;
};

class IntSinkPorts : public TableBackend {
  public:
    explicit IntSinkPorts(bpf::SwitchPipeline* sw) : sw_{sw} {}
    void check(const TableInfo& t, const EntryValue& e) const override {
        check_port(t, e.fields.at(0).value, "egress port");
    }
    void put(const TableInfo& t, const EntryValue& e) override {
        sw_->set_int_sink_port(static_cast<uint32_t>(e.fields[0].value),
                               is_action(t, e, ".mark_int_sink"));
    }
    void erase(const TableInfo&, const EntryValue& e) override {
        sw_->set_int_sink_port(static_cast<uint32_t>(e.fields[0].value), false);
    }
    int64_t capacity() const override { return CHIMA_MAX_PORTS - 1; }

  private:
    Pipe sw_;
};

int64_t as_count(uint64_t v) {
    return static_cast<int64_t>(v & 0x7fffffffffffffffull);
}

// Port counters; port 0 is no port and always reads zero.
class PortCounterBackend : public CounterBackend {
  public:
    PortCounterBackend(bpf::SwitchPipeline* sw, bool rx) : sw_{sw}, rx_(rx) {}
    int64_t size() const override { return CHIMA_MAX_PORTS; }
    ::p4::v1::CounterData get(int64_t index) const override {
        ::p4::v1::CounterData d;
        if (index == 0)
            return d;
        bpf::PortCounters c = sw_->port_counters(static_cast<uint32_t>(index));
        d.set_packet_count(as_count(rx_ ? c.rx_packets : c.tx_packets));
        d.set_byte_count(as_count(rx_ ? c.rx_bytes : c.tx_bytes));
        return d;
    }
    void set(int64_t index, const ::p4::v1::CounterData& d) override {
        if (index == 0)
            return;
        auto port = static_cast<uint32_t>(index);
        bpf::PortCounters c = sw_->port_counters(port);
        (rx_ ? c.rx_packets : c.tx_packets) = static_cast<uint64_t>(d.packet_count());
        (rx_ ? c.rx_bytes : c.tx_bytes) = static_cast<uint64_t>(d.byte_count());
        sw_->set_port_counters(port, c);
    }

  private:
    Pipe sw_;
    bool rx_;
};

class DropCounterBackend : public CounterBackend {
  public:
    explicit DropCounterBackend(bpf::SwitchPipeline* sw) : sw_{sw} {}
    int64_t size() const override { return CHIMA_DROP_REASON_COUNT; }
    ::p4::v1::CounterData get(int64_t index) const override {
        ::p4::v1::CounterData d;
        d.set_packet_count(as_count(sw_->drop_counters()[static_cast<size_t>(index)]));
        return d;
    }
    void set(int64_t index, const ::p4::v1::CounterData& d) override {
        sw_->set_drop_counter(static_cast<unsigned>(index),
                              static_cast<uint64_t>(d.packet_count()));
    }

  private:
    Pipe sw_;
};

class ReportSequence : public RegisterBackend {
  public:
    explicit ReportSequence(bpf::SwitchPipeline* sw) : sw_{sw} {}
    int64_t size() const override { return 1; }
    uint64_t get(int64_t) const override { return sw_->int_report_sequence(); }
    void set(int64_t, uint64_t value) override {
        sw_->set_int_report_sequence(static_cast<uint32_t>(value));
    }

  private:
    Pipe sw_;
};

}  // namespace

std::shared_ptr<TableBackend> prefix_routes_backend(bpf::SwitchPipeline* sw) {
    return std::make_shared<PrefixRoutes>(sw);
}
std::shared_ptr<TableBackend> mac_routes_backend(bpf::SwitchPipeline* sw) {
    return std::make_shared<MacRoutes>(sw);
}
std::shared_ptr<TableBackend> switch_id_backend(bpf::SwitchPipeline* sw) {
    return std::make_shared<SwitchId>(sw);
}
std::shared_ptr<TableBackend> int_watchlist_backend(bpf::SwitchPipeline* sw) {
    return std::make_shared<IntWatchlist>(sw);
}
std::shared_ptr<TableBackend> int_report_backend(bpf::SwitchPipeline* sw) {
    return std::make_shared<IntReport>(sw);
}
std::shared_ptr<TableBackend> int_sink_ports_backend(bpf::SwitchPipeline* sw) {
    return std::make_shared<IntSinkPorts>(sw);
}
std::shared_ptr<CounterBackend> port_rx_backend(bpf::SwitchPipeline* sw) {
    return std::make_shared<PortCounterBackend>(sw, true);
}
std::shared_ptr<CounterBackend> port_tx_backend(bpf::SwitchPipeline* sw) {
    return std::make_shared<PortCounterBackend>(sw, false);
}
std::shared_ptr<CounterBackend> drops_backend(bpf::SwitchPipeline* sw) {
    return std::make_shared<DropCounterBackend>(sw);
}
std::shared_ptr<RegisterBackend> report_sequence_backend(bpf::SwitchPipeline* sw) {
    return std::make_shared<ReportSequence>(sw);
}

}  // namespace chima::p4rt::detail
