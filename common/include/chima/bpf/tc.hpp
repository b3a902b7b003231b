// Attaching programs to an interface's TC hook (clsact qdisc, direct-action filter).
// The caller must already be in the network namespace of `ifindex`.
//
// The attachment is kernel state that outlives the process (it is part of the interface), so
// it is not an RAII object: it ends with detach_tc() or when the interface goes away.
#pragma once

namespace chima::bpf {

enum class TcDirection { Ingress, Egress };

// Attaches `prog_fd` to `ifindex` (creating the clsact qdisc when missing), replacing the
// CHIMA filter already there. RuntimeError on failure.
void attach_tc(int ifindex, TcDirection direction, int prog_fd);

// Removes the CHIMA filter from `ifindex`; no error when none is attached.
void detach_tc(int ifindex, TcDirection direction);

}  // namespace chima::bpf
