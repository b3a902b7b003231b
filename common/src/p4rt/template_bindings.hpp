// What the template pipeline (p4/chima.p4) exposes to P4Runtime and which maps of the eBPF
// switch realise it: one table of fully qualified names (template_bindings.cpp).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "model.hpp"

namespace chima::p4rt::detail {

struct ExpectedField {
    std::string name;
    int width = 0;
    MatchKind kind = MatchKind::Exact;
};

struct ExpectedAction {
    std::string name;  // fully qualified ("ChimaIngress.forward") or "NoAction"
    std::vector<std::pair<std::string, int>> params;  // name, width, in declaration order
};

struct TemplateTable {
    std::string name;
    std::vector<ExpectedField> fields;  // in key order
    std::vector<ExpectedAction> actions;
    std::string default_action;  // the program's default (no parameters)
    std::function<std::shared_ptr<TableBackend>(bpf::SwitchPipeline*)> make;
};

struct TemplateCounter {
    std::string name;
    int64_t max_size = 0;
    bool has_bytes = true;  // false: packets only
    std::function<std::shared_ptr<CounterBackend>(bpf::SwitchPipeline*)> make;
};

struct TemplateRegister {
    std::string name;
    int64_t max_size = 0;
    int width = 0;
    std::function<std::shared_ptr<RegisterBackend>(bpf::SwitchPipeline*)> make;
};

const std::vector<TemplateTable>& template_tables();
const std::vector<TemplateCounter>& template_counters();
const std::vector<TemplateRegister>& template_registers();

// The backends (template_backends.cpp).
std::shared_ptr<TableBackend> prefix_routes_backend(bpf::SwitchPipeline* sw);
std::shared_ptr<TableBackend> mac_routes_backend(bpf::SwitchPipeline* sw);
std::shared_ptr<TableBackend> switch_id_backend(bpf::SwitchPipeline* sw);
std::shared_ptr<TableBackend> int_watchlist_backend(bpf::SwitchPipeline* sw);
std::shared_ptr<TableBackend> int_report_backend(bpf::SwitchPipeline* sw);
std::shared_ptr<TableBackend> int_sink_ports_backend(bpf::SwitchPipeline* sw);
std::shared_ptr<CounterBackend> port_rx_backend(bpf::SwitchPipeline* sw);
std::shared_ptr<CounterBackend> port_tx_backend(bpf::SwitchPipeline* sw);
std::shared_ptr<CounterBackend> drops_backend(bpf::SwitchPipeline* sw);
std::shared_ptr<RegisterBackend> report_sequence_backend(bpf::SwitchPipeline* sw);

}  // namespace chima::p4rt::detail
