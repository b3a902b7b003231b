#include "chima/net/perturb.hpp"

#include <sched.h>

#include <cstdio>
#include <exception>
#include <thread>

#include "chima/error.hpp"
#include "chima/net/link.hpp"
#include "chima/net/names.hpp"
#include "command.hpp"

namespace chima::net {

namespace {

std::string microseconds(std::chrono::nanoseconds ns) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.3fus", double(ns.count()) / 1000.0);
    return buf;
}

void set_netem(const std::string& netns, const std::string& port, const Impairment& imp) {
    std::vector<std::string> args{"qdisc", "replace", "dev",    port,    "root",
                                  "netem", "limit",   "100000", "delay", microseconds(imp.delay)};
    if (imp.jitter.count() > 0)
        args.push_back(microseconds(imp.jitter));
    if (imp.loss > 0) {
        char pct[32];
        std::snprintf(pct, sizeof pct, "%.6f%%", imp.loss * 100.0);
        args.insert(args.end(), {"loss", pct});
    }
    if (imp.rate_bps > 0)
        args.insert(args.end(), {"rate", std::to_string(imp.rate_bps) + "bit"});
    detail::tc(netns, args);
}

bool has_netem(const std::string& netns, const std::string& port) {
    return detail::tc(netns, {"qdisc", "show", "dev", port, "root"}).find("netem") !=
           std::string::npos;
}

void clear_netem(const std::string& netns, const std::string& port) {
    if (has_netem(netns, port))
        detail::tc(netns, {"qdisc", "del", "dev", port, "root"});
}

}  // namespace

bool kernel_has_netem() {
    static const bool available = [] {
        // A child started from a thread inherits that thread's namespace: try netem on the
        // loopback of a namespace nobody else sees, which vanishes with the thread.
        bool ok = false;
        std::thread probe([&] {
            if (::unshare(CLONE_NEWNET) != 0)
                return;
            try {
                ok = detail::run_command(
                         {"tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"})
                         .exit_code == 0;
            } catch (const std::exception&) {
            }
        });
        probe.join();
        return ok;
    }();
    return available;
}

LinkStatus link_status(const LinkRef& link) {
    const std::string ns_a = node_netns(link.net, link.a.node);
    const std::string ns_b = node_netns(link.net, link.b.node);
    LinkStatus s;
    s.a_up = link_info(ns_a, link.a.port).admin_up;
    s.b_up = link_info(ns_b, link.b.port).admin_up;
    s.delay_line = delay_line_settings(link);
    s.netem = has_netem(ns_a, link.a.port) || has_netem(ns_b, link.b.port);
    return s;
}

LinkStatus perturb(const LinkRef& link, const Perturbation& change, Mechanism mechanism) {
    const std::string ns_a = node_netns(link.net, link.a.node);
    const std::string ns_b = node_netns(link.net, link.b.node);
    switch (change.kind) {
        case Perturbation::Kind::Impair: {
            check_impairment(change.impairment);
            if (!change.impairment.any())
                return perturb(link, Perturbation::clear(), mechanism);
            bool netem = mechanism == Mechanism::Netem ||
                         (mechanism == Mechanism::Auto && kernel_has_netem());
            if (netem && !kernel_has_netem()) {
                throw RuntimeError("this kernel has no netem (sch_netem)",
                                   "use the built-in delay line instead");
            }
            if (netem) {
                remove_delay_line(link);
                set_netem(ns_a, link.a.port, change.impairment);
                set_netem(ns_b, link.b.port, change.impairment);
            } else {
                clear_netem(ns_a, link.a.port);
                clear_netem(ns_b, link.b.port);
                set_delay_line(link, change.impairment);
            }
            break;
        }
        case Perturbation::Kind::Clear:
            remove_delay_line(link);
            clear_netem(ns_a, link.a.port);
            clear_netem(ns_b, link.b.port);
            break;
        case Perturbation::Kind::Down:
        case Perturbation::Kind::Up: {
            // Both ends, so each side sees the cut at once (carrier and counters agree);
            // with a delay line in, its own ends stay up and simply find nobody to talk to.
            const bool up = change.kind == Perturbation::Kind::Up;
            set_link_up(ns_a, link.a.port, up);
            set_link_up(ns_b, link.b.port, up);
            break;
        }
    }
    return link_status(link);
}

}  // namespace chima::net
