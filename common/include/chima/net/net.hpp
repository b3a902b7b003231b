// chima::net -- the emulated network's building blocks, independent of the topology model.
// What chima-net (tools/chima-net) needs, by command:
//
//   up       InterruptGuard guard;                  // transaction.hpp: Ctrl-C between steps
//            NetBuilder b(net, &guard);             // net_builder.hpp: all or nothing
//            b.add_node(..); b.add_link(..); b.add_address(..); b.add_neighbour(..); ...
//            b.transaction().on_rollback(..);      // the tool's own steps (BPF loading)
//            b.check_interrupt();  ...  b.commit();
//   down     cleanup_network(net);                  // cleanup.hpp: by name, idempotent
//   perturb  perturb(LinkRef{net, {node, port}, {node, port}},
//                    Perturbation::impair({.delay = .., .jitter = .., .loss = .., .rate_bps = ..}))
//            Perturbation::down() / up() / clear()  // perturb.hpp; parse_loss/parse_rate in
//                                                   // impairment.hpp, durations in model/units
//   status   link_status(link), NetNs::open(node_netns(net, node)).run(..)
//
// Naming scheme (names.hpp): netns chima.<net>.<node>, delay lines chima.<net>.dl.<node>.<port>,
// pins /sys/fs/bpf/chima/<net>/. Nothing is created in the caller's namespace.
#pragma once

#include "chima/net/cleanup.hpp"
#include "chima/net/delay_line.hpp"
#include "chima/net/impairment.hpp"
#include "chima/net/link.hpp"
#include "chima/net/names.hpp"
#include "chima/net/net_builder.hpp"
#include "chima/net/netns.hpp"
#include "chima/net/perturb.hpp"
#include "chima/net/transaction.hpp"
