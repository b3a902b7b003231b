// chima-net: the emulated network (network namespaces, veth, the eBPF switch pipeline).
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <iomanip>
#include <iostream>

#include "chima/emulation/emulated_network.hpp"
#include "chima/net/impairment.hpp"
#include "chima/net/names.hpp"
#include "chima/net/perturb.hpp"
#include "chima/tool.hpp"

namespace {

void require_root() {
    if (::geteuid() != 0) {
        throw chima::RuntimeError("chima-net needs root (CAP_NET_ADMIN and CAP_BPF)",
                                  "run it with sudo");
    }
}

void print_status_table(const nlohmann::json& st) {
    std::cout << "health " << st["health"].get<std::string>() << "\n";
    for (const auto& n : st["nodes"]) {
        if (n["state"] == "missing")
            std::cout << n["kind"].get<std::string>() << " " << n["name"].get<std::string>()
                      << " MISSING\n";
    }
    for (const auto& sw : st["switches"]) {
        if (sw["state"] == "missing")
            continue;
        std::cout << sw["name"].get<std::string>() << "\n";
        std::cout << "  port  peer          rx_pkts    tx_pkts\n";
        for (const auto& p : sw["ports"]) {
            std::cout << "  " << std::setw(4) << p["port"].get<int>() << "  " << std::left
                      << std::setw(10) << p["peer"].get<std::string>() << std::right
                      << std::setw(11) << p["rx_packets"].get<uint64_t>() << std::setw(11)
                      << p["tx_packets"].get<uint64_t>() << "\n";
        }
        for (const auto& [reason, count] : sw["drops"].items()) {
            if (count.get<uint64_t>() > 0)
                std::cout << "  drop " << reason << ": " << count << "\n";
        }
    }
    for (const auto& l : st["links"]) {
        std::cout << "link " << l["name"].get<std::string>()
                  << (l["state"] == "missing" ? " MISSING"
                      : l["up"].get<bool>()   ? " up"
                                              : " DOWN");
        if (l.contains("delay_line")) {
            std::cout << " delay " << l["delay_line"]["delay_ns"].get<int64_t>() / 1000 << "us";
        }
        std::cout << "\n";
    }
}

// The change `chima-net perturb` asks for; InputError for a bad flag value.
struct PerturbFlags {
    bool down, up, clear;
    std::string delay, jitter, loss, rate;
};

chima::net::Perturbation perturbation_of_flags(const PerturbFlags& f) {
    if (int(f.down) + int(f.up) + int(f.clear) > 1)
        throw chima::InputError("give only one of --down, --up, --clear");
    if (f.down)
        return chima::net::Perturbation::down();
    if (f.up)
        return chima::net::Perturbation::up();
    if (f.clear)
        return chima::net::Perturbation::clear();
    chima::net::Impairment imp;
    auto d = chima::parse_duration(f.delay), j = chima::parse_duration(f.jitter);
    if (!d)
        throw chima::InputError("--delay: expected a duration such as 20ms, got '" + f.delay + "'");
    if (!j)
        throw chima::InputError("--jitter: expected a duration such as 2ms, got '" + f.jitter +
                                "'");
    auto l = chima::net::parse_loss(f.loss);
    if (!l)
        throw chima::InputError("--loss: expected a probability such as 1% or 0.01, got '" +
                                f.loss + "'");
    imp.delay = std::chrono::nanoseconds(*d);
    imp.jitter = std::chrono::nanoseconds(*j);
    imp.loss = *l;
    if (!f.rate.empty()) {
        auto r = chima::net::parse_rate(f.rate);
        if (!r)
            throw chima::InputError("--rate: expected a rate such as 10mbit, got '" + f.rate + "'");
        imp.rate_bps = *r;
    }
    chima::net::check_impairment(imp);
    return chima::net::Perturbation::impair(imp);
}

}  // namespace

int main(int argc, char** argv) {
    chima::Tool tool("chima-net",
                     "The emulated network: one network namespace per switch, host, client and "
                     "collector, joined by veth pairs, with the CHIMA eBPF switch pipeline on "
                     "every switch port.");
    tool.app.require_subcommand(1);
    std::string topology, name;
    std::optional<std::string> out;
    bool table = false;

    auto* up = tool.app.add_subcommand("up", "build the network of TOPOLOGY, write net.json");
    up->add_option("TOPOLOGY", topology, "topology.yaml")->required();
    up->add_option("--name,-n", name, "network name (default: the topology's name)");
    up->add_option("-o,--output", out, "write net.json here (atomically) instead of stdout");

    auto* down = tool.app.add_subcommand("down", "remove everything of the network (idempotent)");
    down->add_option("TOPOLOGY", topology, "topology.yaml (or give --name)");
    down->add_option("--name,-n", name, "network name");

    auto* status = tool.app.add_subcommand("status", "counters per switch and port, link states");
    status->add_option("TOPOLOGY", topology, "topology.yaml")->required();
    status->add_option("--name,-n", name, "network name");
    status->add_flag("-p,--pretty", table, "a table instead of JSON");

    std::string link, delay = "0", jitter = "0", loss = "0", rate;
    bool link_down = false, link_up = false, clear = false;
    auto* perturb =
        tool.app.add_subcommand("perturb", "change one link: delay, loss, rate, down/up");
    perturb->add_option("TOPOLOGY", topology, "topology.yaml")->required();
    perturb->add_option("LINK", link, "the link, e.g. s0-s1")->required();
    perturb->add_option("--name,-n", name, "network name");
    perturb->add_option("--delay", delay, "extra one-way delay, e.g. 20ms");
    perturb->add_option("--jitter", jitter, "uniform jitter around the delay, e.g. 2ms");
    perturb->add_option("--loss", loss, "loss probability, e.g. 1% or 0.01");
    perturb->add_option("--rate", rate, "rate limit, e.g. 10mbit");
    perturb->add_flag("--down", link_down, "cut the link");
    perturb->add_flag("--up", link_up, "restore a cut link");
    perturb->add_flag("--clear", clear, "remove every impairment");

    return tool.run(argc, argv, [&]() -> int {
        // Checked before anything needs root, as every flag is.
        auto net_name = [&](const chima::Topology* t) {
            if (name.empty() && !t)
                throw chima::InputError("give TOPOLOGY or --name");
            std::string net = name.empty() ? t->name : name;
            chima::net::check_net_name(net);
            return net;
        };
        if (*up) {
            auto topo = chima::load_topology(topology);
            std::string net = net_name(&topo);
            require_root();
            chima::net::InterruptGuard guard;
            spdlog::info("building network '{}': {} switches, {} hosts, {} links", net,
                         topo.switches.size(), topo.hosts.size(), topo.links.size());
            try {
                auto doc = chima::emulation::net_up(topo, net, &guard);
                chima::emit_json(to_json(doc), out);
            } catch (const chima::net::Interrupted& e) {
                spdlog::warn("interrupted: everything built so far was removed");
                return e.exit_status();
            }
            spdlog::info("network '{}' is up", net);
            return 0;
        }
        if (*down) {
            std::optional<chima::Topology> topo;
            if (!topology.empty())
                topo = chima::load_topology(topology);
            std::string net = net_name(topo ? &*topo : nullptr);
            require_root();
            auto doc = chima::emulation::net_down(net);
            chima::emit_json(doc, std::nullopt);
            return 0;
        }
        auto topo = chima::load_topology(topology);
        std::string net = net_name(&topo);
        if (*status) {
            require_root();
            auto doc = chima::emulation::net_status(topo, net);
            if (table)
                print_status_table(doc);
            else
                chima::emit_json(doc, std::nullopt);
            return 0;
        }
        // perturb: the flags are checked before anything needs root.
        chima::net::Perturbation change =
            perturbation_of_flags({link_down, link_up, clear, delay, jitter, loss, rate});
        require_root();
        auto st = chima::emulation::perturb_link(topo, net, link, change);
        nlohmann::json doc = {{"link", link}, {"up", st.up()}, {"netem", st.netem}};
        if (st.delay_line)
            doc["delay_line"] = {{"delay_ns", st.delay_line->delay.count()},
                                 {"loss", st.delay_line->loss}};
        chima::emit_json(doc, std::nullopt, false);
        return 0;
    });
}
