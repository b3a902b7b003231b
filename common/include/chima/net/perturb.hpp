// `chima-net perturb LINK ...` without the CLI: change one link of a running network.
//
//   perturb(link, Perturbation::impair({.delay = 20ms}));   // delay line spliced in
//   perturb(link, Perturbation::down());                    // both ends down: link cut
//   perturb(link, Perturbation::up());
//   perturb(link, Perturbation::clear());                   // delay line taken out
//
// Where the kernel has netem, delay, jitter, loss and rate become a netem root qdisc on both
// ends' egress (BPF redirects to a port go through its qdisc). Where it has not (this
// project's CI kernel), they all go through the built-in delay line (delay_line.hpp),
// spliced in on the link's `b` side. Impairing a link that has a delay line already just
// restarts its forwarder with the new settings; impairing with all-zero settings is the same
// as clear. Clear removes both kinds.
#pragma once

#include <optional>

#include "chima/net/delay_line.hpp"
#include "chima/net/impairment.hpp"

namespace chima::net {

struct Perturbation {
    enum class Kind { Impair, Down, Up, Clear };
    Kind kind = Kind::Impair;
    Impairment impairment;

    static Perturbation impair(const Impairment& i) { return {Kind::Impair, i}; }
    static Perturbation down() { return {Kind::Down, {}}; }
    static Perturbation up() { return {Kind::Up, {}}; }
    static Perturbation clear() { return {Kind::Clear, {}}; }
};

enum class Mechanism {
    Auto,       // netem if the kernel has it, else the delay line
    Netem,      // netem or a RuntimeError
    DelayLine,  // always the delay line
};

// Whether this kernel has sch_netem (probed once, in a throw-away namespace).
bool kernel_has_netem();

struct LinkStatus {
    bool a_up = false;  // administrative state of each end
    bool b_up = false;
    std::optional<Impairment> delay_line;  // present while a delay line is spliced in
    bool netem = false;                    // a netem qdisc sits on either end
    bool up() const { return a_up && b_up; }
};

// Applies one change; throws RuntimeError if the link does not exist.
LinkStatus perturb(const LinkRef& link, const Perturbation& change,
                   Mechanism mechanism = Mechanism::Auto);

LinkStatus link_status(const LinkRef& link);

}  // namespace chima::net
