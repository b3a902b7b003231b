// THE binding of the template pipeline's P4Info names (p4/chima.p4, v1model) to the maps
// of the eBPF switch. Names, key fields and action parameters must agree with the P4Info
// chima-compile writes for the template; a P4Info entity not listed here (and not a
// function's) makes SetForwardingPipelineConfig refuse the config.
#include "template_bindings.hpp"

#include "chima/switch.h"

namespace chima::p4rt::detail {

namespace {
constexpr int kPortBits = 9;  // v1model port_num_t
const ExpectedAction kNoAction{"NoAction", {}};
const ExpectedAction kForward{"ChimaIngress.forward", {{"port", kPortBits}}};
const ExpectedAction kDrop{"ChimaIngress.drop", {}};
}  // namespace

const std::vector<TemplateTable>& template_tables() {
    static const std::vector<TemplateTable> tables = {
        // Plain IPv4 forwarding of unmanaged traffic -> chima_prefix_routes (LPM trie).
        {"ChimaIngress.forwarding",
         {{"hdr.ipv4.dst_addr", 32, MatchKind::Lpm}},
         {kForward, kDrop},
         "ChimaIngress.drop",
         prefix_routes_backend},
        // Exact destination MAC forwarding -> chima_mac_routes.
        {"ChimaIngress.mac_forwarding",
         {{"hdr.ethernet.dst_addr", 48, MatchKind::Exact}},
         {kForward, kDrop, kNoAction},
         "NoAction",
         mac_routes_backend},
        // The switch's INT id and initial hop count -> chima_int_config (one entry, every
        // port).
        {"ChimaIngress.switch_config",
         {{"standard_metadata.ingress_port", kPortBits, MatchKind::Ternary}},
         {{"ChimaIngress.set_switch_id", {{"switch_id", 32}, {"initial_hops", 8}}}, kNoAction},
         "NoAction",
         switch_id_backend},
        // Flows this switch is the INT source of -> chima_int_watchlist (src, dst exact).
        {"ChimaIngress.int_source",
         {{"hdr.ipv4.src_addr", 32, MatchKind::Exact}, {"hdr.ipv4.dst_addr", 32, MatchKind::Exact}},
         {{"ChimaIngress.mark_int_source", {}}, kNoAction},
         "NoAction",
         int_watchlist_backend},
        // Where the sink's reports go -> chima_int_report (one entry, every port; the
        // report leaves by the `port` parameter).
        {"ChimaEgress.int_report",
         {{"standard_metadata.egress_port", kPortBits, MatchKind::Ternary}},
         {{"ChimaEgress.set_report_endpoints",
           {{"src_mac", 48},
            {"collector_mac", 48},
            {"src_ip", 32},
            {"collector_ip", 32},
            {"src_udp_port", 16},
            {"collector_udp_port", 16},
            {"port", kPortBits}}},
          kNoAction},
         "NoAction",
         int_report_backend},
        // Ports leading to endpoints, where INT ends -> chima_int_sink_ports.
        {"ChimaEgress.int_sink_ports",
         {{"standard_metadata.egress_port", kPortBits, MatchKind::Exact}},
         {{"ChimaEgress.mark_int_sink", {}}, kNoAction},
         "NoAction",
         int_sink_ports_backend},
    };
    return tables;
}

const std::vector<TemplateCounter>& template_counters() {
    static const std::vector<TemplateCounter> counters = {
        // chima_port_counters, indexed by port.
        {"ChimaIngress.port_rx", CHIMA_MAX_PORTS, true, port_rx_backend},
        {"ChimaEgress.port_tx", CHIMA_MAX_PORTS, true, port_tx_backend},
        // chima_drop_counters, indexed by enum chima_drop_reason (packets only).
        {"ChimaIngress.drops", CHIMA_DROP_REASON_COUNT, false, drops_backend},
    };
    return counters;
}

const std::vector<TemplateRegister>& template_registers() {
    static const std::vector<TemplateRegister> registers = {
        // chima_int_report_seq.next.
        {"ChimaEgress.report_seq_no", 1, 32, report_sequence_backend},
    };
    return registers;
}

}  // namespace chima::p4rt::detail
