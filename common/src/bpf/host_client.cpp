#include "chima/bpf/host_client.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <iterator>
#include <memory>

#include "chima/bpf/pin_dir.hpp"
#include "chima/bpf/tc.hpp"
#include "chima/error.hpp"
#include "chima_client.skel.h"
#include "libbpf_support.hpp"

namespace chima::bpf {
namespace {

namespace fs = std::filesystem;

constexpr const char* kEgressPin = "chima_client_egress";
constexpr const char* kIngressPin = "chima_client_ingress";
constexpr const char* kFunctionOutPin = "chima_client_function_out";

constexpr const char* kCounterNames[] = CHIMA_CLIENT_COUNTER_NAMES;
static_assert(std::size(kCounterNames) == CHIMA_CLIENT_COUNTER_COUNT,
              "every client counter has a name");

struct SkeletonDeleter {
    void operator()(chima_client* skel) const { chima_client__destroy(skel); }
};

chima_flow_key flow_key(Ipv4 src, Ipv4 dst) {
    return chima_flow_key{src.value, dst.value};
}

std::string flow_name(Ipv4 src, Ipv4 dst) {
    return "flow " + src.str() + " -> " + dst.str();
}

}  // namespace

HostClient HostClient::create(const fs::path& pin_dir) {
    detail::route_libbpf_logs();
    make_pin_dir(pin_dir);
    PinLock lock(pin_dir);
    if (fs::exists(pin_dir / kEgressPin)) {
        throw RuntimeError(pin_dir.string() + " already holds a host client",
                           "remove it first (chima-net down)");
    }
    std::unique_ptr<chima_client, SkeletonDeleter> skel(chima_client__open_and_load());
    if (!skel) {
        throw RuntimeError(
            std::string("the kernel refused the host client: ") + std::strerror(errno),
            "needs root (CAP_BPF, CAP_NET_ADMIN); -vv shows the verifier log");
    }
    detail::PinRollback rollback;
    bpf_map* map = nullptr;
    bpf_object__for_each_map(map, skel->obj) {
        fs::path path = pin_dir / bpf_map__name(map);
        pin_object(bpf_map__fd(map), path);
        rollback.add(path);
    }
    pin_object(bpf_program__fd(skel->progs.chima_client_egress), pin_dir / kEgressPin);
    rollback.add(pin_dir / kEgressPin);
    pin_object(bpf_program__fd(skel->progs.chima_client_ingress), pin_dir / kIngressPin);
    rollback.add(pin_dir / kIngressPin);
    pin_object(bpf_program__fd(skel->progs.chima_client_function_out), pin_dir / kFunctionOutPin);
    rollback.add(pin_dir / kFunctionOutPin);
    HostClient client = open(pin_dir);
    rollback.dismiss();
    spdlog::debug("host client pinned in {}", pin_dir.string());
    return client;
}

HostClient HostClient::open(const fs::path& pin_dir) {
    detail::route_libbpf_logs();
    HostClient c(pin_dir);
    c.egress_ = open_pinned(pin_dir / kEgressPin);
    c.ingress_ = open_pinned(pin_dir / kIngressPin);
    c.flows_ = open_pinned(pin_dir / "chima_flows");
    c.counters_ = open_pinned(pin_dir / "chima_client_counters");
    c.function_out_ = open_pinned(pin_dir / kFunctionOutPin);
    c.uplink_ = open_pinned(pin_dir / "chima_client_uplink");
    return c;
}

void HostClient::remove(const fs::path& pin_dir) {
    if (!fs::exists(pin_dir))
        return;
    PinLock lock(pin_dir);
    remove_pin_dir(pin_dir);
}

void HostClient::attach(int ifindex) const {
    uint32_t key = 0, uplink = static_cast<uint32_t>(ifindex);
    if (bpf_map_update_elem(uplink_.get(), &key, &uplink, BPF_ANY) != 0)
        throw_errno("cannot record the uplink of the host client in " + dir_.string());
    attach_tc(ifindex, TcDirection::Ingress, ingress_.get());
    try {
        attach_tc(ifindex, TcDirection::Egress, egress_.get());
    } catch (...) {
        detach_tc(ifindex, TcDirection::Ingress);  // no half-attached client
        throw;
    }
}

void HostClient::attach_function_port(int ifindex) const {
    attach_tc(ifindex, TcDirection::Ingress, function_out_.get());
}

void HostClient::detach(int ifindex) const {
    detach_tc(ifindex, TcDirection::Egress);
    detach_tc(ifindex, TcDirection::Ingress);
}

void HostClient::set_flow(Ipv4 src, Ipv4 dst, const LabelStack& stack, uint8_t ttl, uint8_t tc) {
    if (stack.empty())
        throw InputError(flow_name(src, dst) + ": empty label stack");
    if (tc > 7)
        throw InputError(flow_name(src, dst) + ": MPLS traffic class above 7");
    chima_flow_stack value{};
    value.depth = static_cast<uint32_t>(stack.size());
    for (size_t i = 0; i < stack.size(); ++i)
        value.labels[i] = stack.segments()[i].label();
    value.ttl = ttl;
    value.tc = tc;
    chima_flow_key key = flow_key(src, dst);
    if (bpf_map_update_elem(flows_.get(), &key, &value, BPF_ANY) != 0) {
        throw_errno("cannot set " + flow_name(src, dst));
    }
}

void HostClient::delete_flow(Ipv4 src, Ipv4 dst) {
    chima_flow_key key = flow_key(src, dst);
    if (bpf_map_delete_elem(flows_.get(), &key) != 0 && errno != ENOENT) {
        throw_errno("cannot delete " + flow_name(src, dst));
    }
}

std::optional<LabelStack> HostClient::flow(Ipv4 src, Ipv4 dst) const {
    chima_flow_key key = flow_key(src, dst);
    chima_flow_stack value{};
    if (bpf_map_lookup_elem(flows_.get(), &key, &value) != 0) {
        if (errno == ENOENT)
            return std::nullopt;
        throw_errno("cannot read " + flow_name(src, dst));
    }
    LabelStack stack;
    for (uint32_t i = 0; i < value.depth && i < CHIMA_MAX_LABELS; ++i) {
        stack.push_back(SegmentId::decode(value.labels[i]));
    }
    return stack;
}

ClientCounters HostClient::counters() const {
    ClientCounters c;
    c.pushed = detail::sum_percpu_u64(counters_.get(), CHIMA_CLIENT_PUSHED);
    c.pushed_bytes = detail::sum_percpu_u64(counters_.get(), CHIMA_CLIENT_PUSHED_BYTES);
    c.unmanaged = detail::sum_percpu_u64(counters_.get(), CHIMA_CLIENT_UNMANAGED);
    c.bad_stack = detail::sum_percpu_u64(counters_.get(), CHIMA_CLIENT_BAD_STACK);
    c.push_failed = detail::sum_percpu_u64(counters_.get(), CHIMA_CLIENT_PUSH_FAILED);
    c.int_stripped = detail::sum_percpu_u64(counters_.get(), CHIMA_CLIENT_INT_STRIPPED);
    c.int_restored = detail::sum_percpu_u64(counters_.get(), CHIMA_CLIENT_INT_RESTORED);
    c.int_expired = detail::sum_percpu_u64(counters_.get(), CHIMA_CLIENT_INT_EXPIRED);
    c.int_malformed = detail::sum_percpu_u64(counters_.get(), CHIMA_CLIENT_INT_MALFORMED);
    c.int_failed = detail::sum_percpu_u64(counters_.get(), CHIMA_CLIENT_INT_FAILED);
    return c;
}

}  // namespace chima::bpf
