// bench/compose: compose time on large generated networks, 100 chains of 6 functions each.
// Goal: under 1 s per compose, median of 5. Prints a table, writes JSON (-o).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <set>

#include <nlohmann/json.hpp>

#include "chima/compose/compose.hpp"

using namespace chima;

namespace {

Switch make_switch(uint32_t i) {
    Switch s;
    s.name = "s" + std::to_string(i);
    s.id = i + 1;
    s.slots = 16;
    return s;
}

void add_link(Topology& t, std::map<std::string, uint32_t>& next_port, uint32_t a, uint32_t b) {
    Link l;
    l.a = "s" + std::to_string(a);
    l.b = "s" + std::to_string(b);
    l.a_port = ++next_port[l.a];
    l.b_port = ++next_port[l.b];
    l.delay = 100'000;  // 100 us
    t.links.push_back(l);
}

void add_host(Topology& t, std::map<std::string, uint32_t>& next_port, uint32_t sw, uint32_t n,
              uint32_t capacity) {
    Host h;
    h.name = "h" + std::to_string(n);
    h.ip = Ipv4{(10u << 24) | (1u << 16) | n};
    h.mac = Mac{0x020000000000ull | n};
    h.at.sw = "s" + std::to_string(sw);
    h.at.port = ++next_port[h.at.sw];
    h.capacity = capacity;
    t.hosts.push_back(h);
}

void add_client(Topology& t, std::map<std::string, uint32_t>& next_port, uint32_t sw) {
    t.client.name = "client";
    t.client.ip = Ipv4{(10u << 24) | 200u};
    t.client.mac = Mac{0x0200000000c8ull};
    t.client.at.sw = "s" + std::to_string(sw);
    t.client.at.port = ++next_port[t.client.at.sw];
}

// k-ary fat tree: (k/2)^2 core, k pods of k/2 aggregation + k/2 edge switches; one host
// per edge switch.
Topology fat_tree(uint32_t k) {
    Topology t;
    t.name = "fattree";
    std::map<std::string, uint32_t> ports;
    uint32_t half = k / 2, cores = half * half;
    uint32_t total = cores + k * k;
    for (uint32_t i = 0; i < total; ++i)
        t.switches.push_back(make_switch(i));
    auto agg = [&](uint32_t pod, uint32_t j) { return cores + pod * k + j; };
    auto edge = [&](uint32_t pod, uint32_t j) { return cores + pod * k + half + j; };
    for (uint32_t pod = 0; pod < k; ++pod) {
        for (uint32_t a = 0; a < half; ++a) {
            for (uint32_t e = 0; e < half; ++e)
                add_link(t, ports, agg(pod, a), edge(pod, e));
            for (uint32_t c = 0; c < half; ++c)
                add_link(t, ports, agg(pod, a), a * half + c);
        }
    }
    add_client(t, ports, edge(0, 0));
    uint32_t n = 0;
    for (uint32_t pod = 0; pod < k; ++pod)
        for (uint32_t e = 0; e < half; ++e)
            add_host(t, ports, edge(pod, e), ++n, 8);
    return t;
}

// Connected random graph: a random spanning tree plus extra links to average degree ~4.
Topology random_net(uint32_t switches, uint32_t hosts, uint32_t seed) {
    Topology t;
    t.name = "random";
    std::mt19937 rng(seed);
    std::map<std::string, uint32_t> ports;
    for (uint32_t i = 0; i < switches; ++i)
        t.switches.push_back(make_switch(i));
    std::set<std::pair<uint32_t, uint32_t>> have;
    for (uint32_t i = 1; i < switches; ++i) {
        uint32_t j = std::uniform_int_distribution<uint32_t>(0, i - 1)(rng);
        have.insert({j, i});
        add_link(t, ports, j, i);
    }
    while (t.links.size() < 2 * switches) {
        uint32_t a = rng() % switches, b = rng() % switches;
        if (a == b)
            continue;
        if (a > b)
            std::swap(a, b);
        if (!have.insert({a, b}).second)
            continue;
        add_link(t, ports, a, b);
    }
    add_client(t, ports, 0);
    for (uint32_t n = 1; n <= hosts; ++n)
        add_host(t, ports, rng() % switches, n, 4);
    return t;
}

// 100 chains of 6 functions: p4, container, p4, container, p4, container.
Service chains(uint32_t count) {
    Service s;
    for (uint32_t c = 0; c < count; ++c) {
        Chain ch;
        ch.name = "c" + std::to_string(c);
        ch.client.ip = Ipv4{(10u << 24) | 200u};
        ch.sla = {100'000'000, 100'000'000};
        for (uint32_t f = 0; f < 6; ++f) {
            Function fn;
            fn.name = "f" + std::to_string(f);
            if (f % 2 == 0) {
                fn.type = FunctionType::P4;
                fn.file = "changettl.p4";
                fn.control = "changettl_control";
            } else {
                fn.type = FunctionType::Container;
                fn.image = "chima/echo";
            }
            if (f == 3)
                fn.sla = SlaSection{5'000'000, 5'000'000};
            ch.functions.push_back(fn);
        }
        s.chains.push_back(ch);
    }
    return s;
}

struct Result {
    std::string name;
    size_t switches, links, hosts;
    double median_ms, min_ms, max_ms;
    size_t json_bytes;
};

Result measure(const std::string& name, const Topology& topo, const Service& service) {
    std::vector<double> times;
    size_t bytes = 0;
    for (int run = 0; run < 5; ++run) {
        auto t0 = std::chrono::steady_clock::now();
        Deployment d = compose(ComposeInput{topo, service, std::nullopt, {}, nullptr});
        bytes = to_json(d).dump().size();
        auto t1 = std::chrono::steady_clock::now();
        times.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    }
    std::sort(times.begin(), times.end());
    return {name,     topo.switches.size(), topo.links.size(), topo.hosts.size(),
            times[2], times.front(),        times.back(),      bytes};
}

}  // namespace

int main(int argc, char** argv) {
    std::string out = argc > 2 && std::string(argv[1]) == "-o" ? argv[2] : "";
    Service service = chains(100);
    std::vector<Result> results;
    results.push_back(measure("fat-tree k=16", fat_tree(16), service));
    results.push_back(measure("random 1000", random_net(1000, 200, 42), service));
    std::printf("%-16s %8s %6s %6s %12s %10s %10s %10s\n", "topology", "switches", "links", "hosts",
                "median(ms)", "min(ms)", "max(ms)", "json(KiB)");
    nlohmann::json doc = {{"benchmark", "compose"},   {"chains", 100},
                          {"functions_per_chain", 6}, {"runs", 5},
                          {"goal_ms", 1000},          {"results", nlohmann::json::array()}};
    for (const auto& r : results) {
        std::printf("%-16s %8zu %6zu %6zu %12.1f %10.1f %10.1f %10zu\n", r.name.c_str(), r.switches,
                    r.links, r.hosts, r.median_ms, r.min_ms, r.max_ms, r.json_bytes / 1024);
        doc["results"].push_back({{"topology", r.name},
                                  {"switches", r.switches},
                                  {"links", r.links},
                                  {"hosts", r.hosts},
                                  {"median_ms", r.median_ms},
                                  {"min_ms", r.min_ms},
                                  {"max_ms", r.max_ms},
                                  {"json_bytes", r.json_bytes}});
    }
    if (!out.empty())
        std::ofstream(out) << doc.dump(2) << "\n";
    return 0;
}
