// The built-in delay line: splicing a user-space forwarder (delay_forwarder.hpp) into a veth
// link between two nodes of an emulated network, for kernels without netem.
//
// Before:  A:portA <==veth==> B:portB
// After:   A:portA <==veth==> DL:dl-a   [forwarder]   DL:dl-b <==veth==> B:portB
//
// DL is the namespace chima.<net>.dl.<B node>.<portB>. The A end is not touched at all. The
// original B end moves into DL (renamed dl-a, still paired with portA); B gets a new portB
// paired with dl-b that has the same name, ifindex, MAC and MTU as the old one, plus its
// addresses, permanent neighbours, routes and direct-action TC BPF filters (the switch
// pipeline), so the pipeline's forwarding state that refers to ifindexes stays valid. Frames
// in flight during the swap are lost. Removing the delay line reverses the steps: the
// original B end comes back with its ifindex. The forwarder is a daemon (fork + setsid)
// living in DL, so it outlives the tool; it is found again through DL, not through a pid
// file, and its settings are kept in dl-a's interface alias. New settings restart the
// forwarder (frames queued in it are lost). It runs at SCHED_FIFO priority 20 so a busy host
// does not add milliseconds of scheduling delay (bench/delayline/README.md has the figures).
//
// Not carried over to the new B end: routes outside the main table, TC filters that are
// not BPF direct-action (libbpf's kind, which the switch pipeline uses), XDP programs.
// Call these under the tool's InterruptGuard: a splice is then never cut in half.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "chima/net/delay_forwarder.hpp"
#include "chima/net/impairment.hpp"
#include "chima/net/netns.hpp"

namespace chima::net {

// One end of a link: the node (its netns is chima.<net>.<node>) and its interface.
struct LinkEnd {
    std::string node;
    std::string port;
};

// A veth link of network `net`. The delay line is spliced in on the `b` side.
struct LinkRef {
    std::string net;
    LinkEnd a, b;
    std::string str() const { return a.node + ":" + a.port + "<->" + b.node + ":" + b.port; }
};

inline constexpr const char* kDelayWestIf = "dl-a";  // in DL, paired with the A end
inline constexpr const char* kDelayEastIf = "dl-b";  // in DL, paired with the (new) B end

// Splices a delay line into `link` with these settings, or, if one is there, restarts its
// forwarder with the new settings. All or nothing: on failure the link is as before.
void set_delay_line(const LinkRef& link, const Impairment& impairment);

// Takes the delay line out again; returns false if there was none.
bool remove_delay_line(const LinkRef& link);

// The settings of the link's delay line, if it has one.
std::optional<Impairment> delay_line_settings(const LinkRef& link);

// Starts a forwarder daemon inside `ns` (detached: fork, setsid, fork) and returns its pid
// once its sockets are open; throws RuntimeError with the daemon's own message otherwise.
pid_t start_forwarder_daemon(const NetNs& ns, const ForwarderConfig& config);

}  // namespace chima::net
