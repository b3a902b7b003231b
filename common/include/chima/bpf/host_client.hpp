// HostClient: the CHIMA host client (bpf/client) of one compute host or traffic endpoint,
// pinned under a directory such as /sys/fs/bpf/chima/<net>/<host>/ and reopened by later
// tools (chima-route, chima-relocate).
//
//   auto client = HostClient::create("/sys/fs/bpf/chima/lab/client");   // chima-net up
//   client.attach(ifindex);                          // TC ingress + egress, in the host's netns
//   client.set_flow(src, dst, stack);                // chima-route: one atomic map update
//
// Errors: InputError for a bad stack, RuntimeError when the kernel refuses.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

#include "chima/unique_fd.hpp"
#include "chima/label_stack.hpp"
#include "chima/units.hpp"

extern "C" {
#include "chima/client.h"
}

namespace chima::bpf {

struct ClientCounters {
    uint64_t pushed = 0;        // packets that got a label stack
    uint64_t pushed_bytes = 0;  // their bytes before the push
    uint64_t unmanaged = 0;     // packets of no managed flow (passed unchanged)
    uint64_t bad_stack = 0;     // dropped: corrupt flow entry
    uint64_t push_failed = 0;   // dropped: the kernel refused to grow the packet
    // INT-transparent hosting (docs/architecture.md, "Container functions")
    uint64_t int_stripped = 0;   // ingress: INT bytes removed and saved for the destination
    uint64_t int_restored = 0;   // egress: a saved stack put back on the source's output
    uint64_t int_expired = 0;    // egress: a saved stack older than 1 s, discarded
    uint64_t int_malformed = 0;  // ingress: DSCP 0x17 without a usable INT header, passed
    uint64_t int_failed = 0;     // the kernel refused a change: stack lost or packet dropped
};

class HostClient {
  public:
    // Loads the client and pins it in `pin_dir` (created with its parents). RuntimeError
    // when `pin_dir` already holds a client or the kernel refuses.
    static HostClient create(const std::filesystem::path& pin_dir);
    static HostClient open(const std::filesystem::path& pin_dir);
    // Unpins the client and removes the directory. Idempotent.
    static void remove(const std::filesystem::path& pin_dir);

    const std::filesystem::path& pin_dir() const { return dir_; }

    // TC ingress (INT strip) and egress (INT restore, label push) of `ifindex` run the
    // client; `ifindex` becomes the host's uplink. Call inside the host's netns. detach()
    // removes both.
    void attach(int ifindex) const;
    void detach(int ifindex) const;
    // The host side of a container function's veth: every frame the function sends goes
    // out of the uplink (never straight to a co-located function over the host bridge).
    // Call inside the host's netns; the filter goes away with the veth.
    void attach_function_port(int ifindex) const;

    // Sets or replaces the label stack of flow (src, dst) in one atomic update: every packet
    // gets either the whole old stack or the whole new one. InputError for an empty stack.
    void set_flow(Ipv4 src, Ipv4 dst, const LabelStack& stack, uint8_t ttl = 64, uint8_t tc = 0);
    // Stops managing the flow; no error when it was not managed.
    void delete_flow(Ipv4 src, Ipv4 dst);
    std::optional<LabelStack> flow(Ipv4 src, Ipv4 dst) const;

    ClientCounters counters() const;

    int egress_program_fd() const { return egress_.get(); }
    int ingress_program_fd() const { return ingress_.get(); }

  private:
    explicit HostClient(std::filesystem::path dir) : dir_(std::move(dir)) {}

    std::filesystem::path dir_;
    UniqueFd egress_, ingress_, function_out_, flows_, counters_, uplink_;
};

}  // namespace chima::bpf
