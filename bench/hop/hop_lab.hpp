// The namespaces of bench_hop, built once and removed with the object (also when building
// fails half-way: every member cleans up after itself):
//
//   gen  to-direct --------------------------------------------- from-direct  sink
//   gen  to-chima  -- p1 [s1] p2 -- p1 [s2] p2 -- p1 [s3] p2 --- from-chima   sink
//   gen  to-bridge -- p1 [b1] p2 -- p1 [b2] p2 -- p1 [b3] p2 --- from-bridge  sink
//   gen  to-redir  -- p1 [r1] p2 -- p1 [r2] p2 -- p1 [r3] p2 --- from-redir   sink
//
// s1..s3 run the CHIMA switch pipeline on p1 (ingress) with the pass-through function in
// slot 1 and a MAC route to the sink; b1..b3 are Linux bridges (br_netfilter calls off,
// static FDB entry for the sink); r1..r3 are the floor: a bare TC redirect p1 -> p2
// (hop_redirect.bpf.c). The sink counts and drops on TC ingress (hop_sink.bpf.c).
// Names: netns chima-bench-hop-<pid>-<node>, pins /sys/fs/bpf/chima-bench-hop-<pid>/.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "chima/bpf/switch_pipeline.hpp"
#include "chima/units.hpp"
#include "chima/net/netns.hpp"

struct hop_sink;
struct hop_redirect;

namespace chima::bench {

enum class Path { Direct, Chima, Bridge, Redirect };
inline constexpr int kPaths = 4;
const char* path_name(Path p);

inline constexpr uint64_t kGenMac = 0x02000000000aull;
inline constexpr uint64_t kSinkMac = 0x0200000000eeull;
inline constexpr uint32_t kPassthroughSlot = 1;
inline constexpr int kHops = 3;

// MAC of port `port` of CHIMA switch `index` (1..3).
inline uint64_t switch_port_mac(int index, uint32_t port) {
    return 0x020000000100ull + static_cast<uint64_t>(index) * 0x10 + port;
}

// Removes namespaces and pins of earlier runs whose process is gone (a SIGKILLed bench).
void remove_stale_labs();

class HopLab {
  public:
    // `deliver_to_peer`: the switches' ports hand frames straight to the next namespace
    // (bpf_redirect_peer), as chima-net configures them; false: they transmit on the port.
    explicit HopLab(bool deliver_to_peer = true);
    ~HopLab();
    HopLab(const HopLab&) = delete;
    HopLab& operator=(const HopLab&) = delete;

    const net::NetNs& generator() const { return namespaces_.front(); }
    int generator_ifindex(Path p) const { return gen_ifindex_[static_cast<int>(p)]; }
    // Frames the sink has counted on the interface that ends path `p`.
    uint64_t sink_count(Path p) const;
    // Frames the CHIMA switches dropped, all reasons together.
    uint64_t switch_drops() const;

  private:
    struct PinRoot {
        std::filesystem::path path;
        ~PinRoot();
    };
    struct SinkDeleter {
        void operator()(hop_sink* skel) const;
    };
    struct RedirectDeleter {
        void operator()(hop_redirect* skel) const;
    };

    const net::NetNs& ns(const std::string& node) const;
    void build_chima_switch(int index);
    void build_bridge(int index);
    void build_redirect(int index);
    void build_sink();

    std::string prefix_;
    bool deliver_to_peer_ = true;
    PinRoot pins_;
    std::unique_ptr<hop_sink, SinkDeleter> sink_;
    std::vector<std::unique_ptr<hop_redirect, RedirectDeleter>> redirects_;
    std::vector<net::NetNs> namespaces_;  // gen first
    std::vector<bpf::SwitchPipeline> switches_;
    int gen_ifindex_[kPaths] = {};
    int sink_ifindex_[kPaths] = {};
};

}  // namespace chima::bench
