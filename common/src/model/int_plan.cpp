#include "chima/model/int_plan.hpp"

namespace chima {

Ipv4 int_report_source(const Switch& sw) {
    return Ipv4{0xA9FE0000u | (sw.id & 0xFFFFu)};
}

IntPlan int_plan(const Topology& topology, const Switch& sw,
                 const std::vector<ForwardingEntry>& entries) {
    IntPlan plan;
    plan.switch_id = sw.id;
    auto sink = [&](const Attachment& at) {
        if (at.sw == sw.name)
            plan.sink_ports.push_back(at.port);
    };
    sink(topology.client.at);
    if (topology.collector.separate)
        sink(topology.collector.endpoint.at);
    for (const auto& h : topology.hosts)
        sink(h.at);
    const Endpoint& collector = topology.collector_endpoint();
    uint32_t report_port = 0;
    for (const auto& e : entries)
        if (e.ip == collector.ip)
            report_port = e.port;
    if (report_port != 0) {
        plan.report = IntReportPlan{report_port,           collector.ip,
                                    collector.mac,         topology.collector.udp_port,
                                    int_report_source(sw), topology.collector.udp_port};
    }
    return plan;
}

}  // namespace chima
