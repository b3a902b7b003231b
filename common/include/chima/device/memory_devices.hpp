// Devices in memory, for tests without root: a MemorySwitch and a MemoryHost keep what the
// tools set (slots, routes, watches, label stacks, function namespaces and instances) and
// write every change, in order and across all devices, to one DeviceJournal. A test asserts
// the order of operations on the journal and makes any operation fail (fail_next) to check
// what the caller undoes (an attempt that failed stays in the journal, marked).
//
//   DeviceJournal journal;
//   auto devices = memory_devices(journal);
//   journal.fail_next("h1 start ");                 // the next container start on h1 fails
//   deploy::...(*devices, ...);
//   CHECK(journal.index_of("s0 load 3") < journal.index_of("client set_flow"));
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "chima/device/registry.hpp"

namespace chima::device {

// Entries are "<node> <operation> <what>", e.g. "s0 load 3 build/fn/changettl.bpf.o",
// "h1 start chima-lab-c-echo", "client set_flow 10.0.0.200>10.0.0.2 [16,17]". A pattern
// matches the entries it starts; "* <operation>..." matches that operation on any node.
// What a test's devices throw to stand for the tool being killed (crash_at): not a
// std::exception, so no `catch (const std::exception&)` of the code under test handles it,
// as no handler runs when a process is killed.
struct SimulatedCrash {
    std::string at;  // the entry it happened at
};

class DeviceJournal {
  public:
    // Records `entry`; when it matches a pattern given to fail_next, records it with
    // " [failed]" appended and throws RuntimeError instead (the device then changes nothing);
    // that pattern then fails no more.
    void record(const std::string& entry);
    void fail_next(const std::string& pattern);
    // The tool dies at the next entry matching `pattern`: that entry is recorded with
    // " [crash]" and SimulatedCrash thrown, and from then on every operation throws
    // SimulatedCrash and changes nothing, until revive() (the next run of a tool).
    void crash_at(const std::string& pattern);
    void revive();

    std::vector<std::string> entries() const;
    std::vector<std::string> matching(const std::string& pattern) const;
    // Position of the first / last matching entry; -1 when there is none.
    long index_of(const std::string& pattern) const;
    long last_index_of(const std::string& pattern) const;
    void clear();

  private:
    mutable std::mutex mutex_;
    std::vector<std::string> entries_;
    std::vector<std::string> failures_;
    std::string crash_pattern_;
    bool crashed_ = false;
};

class MemorySwitch final : public SwitchDevice {
  public:
    MemorySwitch(std::string name, DeviceJournal& journal)
        : name_(std::move(name)), journal_(journal) {}

    const std::string& name() const override { return name_; }
    void load_function(uint32_t slot, const FunctionLoad& function) override;
    void clear_slot(uint32_t slot) override;
    uint32_t slot_function(uint32_t slot) const override;
    void set_mac_route(Mac destination, uint32_t port) override;
    void set_prefix_route(Ipv4 prefix, uint8_t prefix_len, uint32_t port) override;
    void delete_mac_route(Mac destination) override;
    void delete_prefix_route(Ipv4 prefix, uint8_t prefix_len) override;
    void watch_flow(Ipv4 source, Ipv4 destination) override;
    void unwatch_flow(Ipv4 source, Ipv4 destination) override;
    void set_int_switch_id(uint32_t switch_id) override;
    void set_int_initial_hops(uint32_t hops) override;
    void set_int_sink_port(uint32_t port, bool sink) override;
    void set_int_report(const IntReportTarget& report) override;
    void clear_int_report() override;
    PortCounters port_counters(uint32_t port) const override;
    DropCounters drop_counters() const override;

    // The object each non-empty slot serves.
    std::map<uint32_t, std::string> slots() const;
    std::set<std::pair<uint32_t, uint32_t>> watched() const;  // (source, destination) values

  private:
    struct Slot {
        std::string object;
        uint32_t id = 0;
    };
    void record(const std::string& what) { journal_.record(name_ + " " + what); }

    std::string name_;
    DeviceJournal& journal_;
    mutable std::mutex mutex_;
    uint32_t next_id_ = 1;
    std::map<uint32_t, Slot> slots_;
    std::set<std::pair<uint32_t, uint32_t>> watched_;
};

class MemoryHost final : public HostDevice {
  public:
    MemoryHost(std::string name, DeviceJournal& journal)
        : name_(std::move(name)), journal_(journal) {}

    const std::string& name() const override { return name_; }
    void set_flow(Ipv4 src, Ipv4 dst, const LabelStack& stack) override;
    void delete_flow(Ipv4 src, Ipv4 dst) override;
    std::optional<LabelStack> flow(Ipv4 src, Ipv4 dst) const override;
    void add_neighbours(const std::vector<Neighbour>& entries) override;

    bool has_function_netns(const std::string& netns) const override;
    void create_function_netns(const std::string& netns) override;
    void plumb_function_port(const FunctionPort& port) override;
    void remove_function_netns(const std::string& netns) override;
    bool wait_serving(const std::string& netns, uint16_t port,
                      std::chrono::milliseconds limit) const override;

    void prepare_backend(const std::string&) override {}  // every kind works in memory
    container::Image ensure_image(const std::string& kind,
                                  const container::ImageSpec& image) override;
    container::Instance start_function(const std::string& kind,
                                       const container::FunctionSpec& spec) override;
    void stop_function(const std::string& kind, const std::string& instance) override;
    container::Instance inspect_function(const std::string& kind,
                                         const std::string& instance) override;
    std::vector<container::Instance> list_functions(const std::string& kind,
                                                    const std::string& label_key,
                                                    const std::string& label_value) override;
    // Watches instances in memory: their exits are what exit_function says.
    std::unique_ptr<container::HealthWatcher> watch_health(
        const std::string& kind, container::HealthWatcher::Sink sink) override;

    std::set<std::string> function_netns() const;
    std::set<std::string> running() const;      // instance names
    std::vector<Neighbour> neighbours() const;  // every entry added, in order
    // The ports plumbed in a namespace (the first instance's, then the alternate's).
    std::vector<FunctionPort> function_ports(const std::string& netns) const;

    // The instance's process ends with `exit_code` (a test's stand-in for a crash): it is
    // then exited, and every watcher watching it reports "exited"; one whose policy is
    // on-failure starts it again for a non-zero code and reports "restarted". Not journalled
    // (the journal records what the tools do). RuntimeError when it is not running.
    void exit_function(const std::string& instance, int exit_code);

  private:
    struct HealthWatch;
    class Watcher;
    void record(const std::string& what) { journal_.record(name_ + " " + what); }

    std::string name_;
    DeviceJournal& journal_;
    mutable std::mutex mutex_;
    std::map<std::pair<uint32_t, uint32_t>, LabelStack> flows_;
    std::set<std::string> netns_;
    std::map<std::string, container::Instance> instances_;
    std::map<std::string, std::string> instance_netns_;
    std::vector<Neighbour> neighbours_;
    std::map<std::pair<std::string, bool>, FunctionPort> ports_;  // (netns, alternate)
    uint64_t next_start_ = 1;  // instance ids: a restarted instance has a new one
    std::vector<std::weak_ptr<HealthWatch>> watches_;
};

// Every node name opens a MemorySwitch (switch_device) or MemoryHost (host_device) writing
// to `journal`, which must outlive the registry.
std::unique_ptr<DeviceRegistry> memory_devices(DeviceJournal& journal);

}  // namespace chima::device
