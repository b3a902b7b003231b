// Builds an emulated network step by step, all or nothing: until commit(), destroying the
// builder (an exception, Ctrl-C through an InterruptGuard) removes everything named after the
// network (cleanup_network), plus whatever undo steps the caller added to transaction().
//
//   InterruptGuard guard;                 // Ctrl-C is noticed between steps
//   NetBuilder b("demo", &guard);         // refuses if "demo" exists already
//   b.add_node("s0", true);  b.add_node("h0", false);
//   b.add_link({{"s0", "p1"}, "02:00:00:00:00:01", {"h0", "eth0"}, "02:00:00:00:00:02"});
//   b.add_address("h0", "eth0", "10.0.0.1/24");
//   b.commit();
#pragma once

#include <optional>
#include <string>

#include "chima/net/delay_line.hpp"
#include "chima/net/netns.hpp"
#include "chima/net/transaction.hpp"

namespace chima::net {

struct LinkSpec {
    LinkEnd a;
    std::string mac_a;  // empty: kernel's random MAC
    LinkEnd b;
    std::string mac_b;
    int mtu = 1500;
    bool up = true;
};

class NetBuilder {
  public:
    // Throws RuntimeError if anything of `net` exists (hint: take it down first).
    explicit NetBuilder(std::string net, const InterruptGuard* guard = nullptr);
    NetBuilder(const NetBuilder&) = delete;
    NetBuilder& operator=(const NetBuilder&) = delete;
    ~NetBuilder() = default;  // the transaction rolls back unless committed

    const std::string& net() const { return net_; }
    std::string netns_of(const std::string& node) const;

    // A namespace for the node, prepared (prepare_namespace); forwarding for switches.
    void add_node(const std::string& node, bool ip_forward);
    void add_link(const LinkSpec& link);
    void add_address(const std::string& node, const std::string& port, const std::string& cidr);
    void add_neighbour(const std::string& node, const std::string& port, const std::string& ipv4,
                       const std::string& mac);
    void add_route(const std::string& node, const std::string& cidr,
                   const std::optional<std::string>& via, const std::optional<std::string>& dev);
    void set_sysctl(const std::string& node, const std::string& key, const std::string& value);

    // Throws Interrupted if a signal arrived; every add_* calls it first. Call it between
    // your own steps too.
    void check_interrupt() const;
    // For the caller's own steps (e.g. loading BPF); undone before the namespaces go.
    BuildTransaction& transaction() { return tx_; }
    void commit() { tx_.commit(); }

  private:
    std::string net_;
    const InterruptGuard* guard_;
    BuildTransaction tx_;
};

}  // namespace chima::net
