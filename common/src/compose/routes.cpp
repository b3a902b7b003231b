#include "chima/compose/routes.hpp"

namespace chima {

namespace {

// One end of a leg: the client endpoint or a container function on its host.
struct LegEnd {
    std::string name;
    Ipv4 ip;
    std::string node;  // endpoint or host name: who pushes stacks for traffic it sends
    std::string sw;
    uint32_t port;
    const PlacedFunction* function = nullptr;  // null for the client
};

// A step of the chain's forward journey, in order: links crossed, functions run.
struct JourneyItem {
    enum Kind { Link, P4, Container } kind;
    Segment segment;           // Link / Container
    const PlacedFunction* fn;  // P4 / Container
};

const Switch& switch_of(const Deployment& d, const std::string& name) {
    return *d.topology.find_switch(name);
}

Flow build_flow(const Deployment& d, const SwitchGraph& graph, const Chain& chain,
                const std::string& direction, const LegEnd& src, const LegEnd& dst,
                const std::vector<const PlacedFunction*>& p4,
                std::vector<JourneyItem>* journey) {
    Flow flow;
    flow.chain = chain.name;
    flow.direction = direction;
    flow.src = src.function ? src.function->spec.name : src.name;
    flow.dst = dst.function ? dst.function->spec.name : dst.name;
    flow.src_ip = src.ip;
    flow.dst_ip = dst.ip;
    flow.pusher = src.node;

    // Switch sequence through every P4 function's switch; run_at[k] = index where p4[k] runs.
    std::vector<uint32_t> seq{graph.index(src.sw)};
    std::vector<size_t> run_at;
    auto go_to = [&](const std::string& sw) {
        uint32_t target = graph.index(sw);
        auto part = graph.path(seq.back(), target);
        if (part.empty()) {
            throw InputError(chain.mark, "chain '" + chain.name + "': no path from '" +
                                             graph.name(seq.back()) + "' to '" + sw + "'");
        }
        seq.insert(seq.end(), part.begin() + 1, part.end());
    };
    for (const PlacedFunction* f : p4) {
        go_to(f->node);
        run_at.push_back(seq.size() - 1);
    }
    go_to(dst.sw);

    auto push = [&](const SegmentId& sid) {
        if (flow.stack.size() >= LabelStack::kMaxDepth) {
            throw InputError(chain.mark, "chain '" + chain.name + "': the " + direction +
                                             " stack from '" + flow.src + "' to '" + flow.dst +
                                             "' needs more than " +
                                             std::to_string(LabelStack::kMaxDepth) +
                                             " labels; place its functions closer together");
        }
        flow.stack.push_back(sid);
    };
    if (src.function) push(SegmentId::function_end(src.function->function_id));
    size_t next_p4 = 0;
    for (size_t j = 0; j < seq.size(); ++j) {
        flow.path.push_back(graph.name(seq[j]));
        while (next_p4 < p4.size() && run_at[next_p4] == j) {
            push(SegmentId::function(p4[next_p4]->slot));
            if (journey) journey->push_back({JourneyItem::P4, {}, p4[next_p4]});
            ++next_p4;
        }
        if (j + 1 < seq.size()) {
            push(SegmentId::adjacency(graph.port_to(seq[j], seq[j + 1])));
            if (journey) {
                Segment s;
                s.kind = SegmentKind::Link;
                s.a = graph.name(seq[j]);
                s.b = graph.name(seq[j + 1]);
                s.a_id = switch_of(d, s.a).id;
                s.b_id = switch_of(d, s.b).id;
                journey->push_back({JourneyItem::Link, s, nullptr});
            }
        } else {
            if (dst.function) push(SegmentId::int_to_host());
            push(SegmentId::adjacency(dst.port));
        }
    }
    if (journey && dst.function) {
        Segment s;
        s.kind = SegmentKind::Function;
        s.function = dst.function->spec.name;
        s.function_id = dst.function->function_id;
        journey->push_back({JourneyItem::Container, s, dst.function});
    }
    return flow;
}

}  // namespace

ChainRoutes route_chain(const Deployment& d, const SwitchGraph& graph, const Chain& chain,
                        const std::string& client_name, const std::string& client_sw,
                        uint32_t client_port) {
    ChainRoutes out;
    LegEnd prev{client_name, chain.client.ip, client_name, client_sw, client_port, nullptr};
    std::vector<const PlacedFunction*> pending_p4;
    std::vector<JourneyItem> journey;
    for (const auto& name : chain.functions) {
        const PlacedFunction* f = d.find_function(chain.name, name.name);
        if (f->spec.type == FunctionType::P4) {
            pending_p4.push_back(f);
            continue;
        }
        const Host* host = d.topology.find_host(f->node);
        LegEnd next{f->spec.name, f->ip, host->name, host->at.sw, host->at.port, f};
        out.flows.push_back(build_flow(d, graph, chain, "forward", prev, next, pending_p4,
                                       &journey));
        std::vector<const PlacedFunction*> reverse_p4(pending_p4.rbegin(), pending_p4.rend());
        out.flows.push_back(build_flow(d, graph, chain, "reverse", next, prev, reverse_p4,
                                       nullptr));
        pending_p4.clear();
        prev = next;
    }

    // Sections: each function with an SLA bounds the journey from the previous such
    // function (or the chain's start) up to and including itself.
    size_t begin = 0;
    for (size_t i = 0; i < journey.size(); ++i) {
        const JourneyItem& item = journey[i];
        if (item.kind == JourneyItem::Link || !item.fn->spec.sla) continue;
        Section s{chain.name, item.fn->spec.name, *item.fn->spec.sla, {}};
        for (size_t k = begin; k <= i; ++k) {
            if (journey[k].kind != JourneyItem::P4) s.segments.push_back(journey[k].segment);
        }
        out.sections.push_back(std::move(s));
        begin = i + 1;
    }
    if (!chain.sla.empty()) {
        Section e2e{chain.name, "end-to-end", chain.sla, {}};
        for (const auto& item : journey) {
            if (item.kind != JourneyItem::P4) e2e.segments.push_back(item.segment);
        }
        out.sections.push_back(std::move(e2e));
    }
    return out;
}

}  // namespace chima
