#include "chima/bpf/tc.hpp"

#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "chima/error.hpp"

namespace chima::bpf {
namespace {

// One CHIMA filter per hook: fixed handle and priority, so attach replaces and detach finds it.
constexpr uint32_t kHandle = 0xc41;
constexpr uint32_t kPriority = 1;

bpf_tc_attach_point attach_point(TcDirection direction) {
    return direction == TcDirection::Ingress ? BPF_TC_INGRESS : BPF_TC_EGRESS;
}

std::string where(int ifindex, TcDirection direction) {
    return std::string("TC ") + (direction == TcDirection::Ingress ? "ingress" : "egress") +
           " of ifindex " + std::to_string(ifindex);
}

}  // namespace

void attach_tc(int ifindex, TcDirection direction, int prog_fd) {
    LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = attach_point(direction));
    int err = bpf_tc_hook_create(&hook);
    if (err && err != -EEXIST) {
        throw RuntimeError("cannot create clsact qdisc for " + where(ifindex, direction) + ": " +
                           std::strerror(-err));
    }
    LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog_fd, .flags = BPF_TC_F_REPLACE, .handle = kHandle,
                .priority = kPriority);
    err = bpf_tc_attach(&hook, &opts);
    if (err) {
        throw RuntimeError("cannot attach program to " + where(ifindex, direction) + ": " +
                           std::strerror(-err));
    }
}

void detach_tc(int ifindex, TcDirection direction) {
    LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = attach_point(direction));
    LIBBPF_OPTS(bpf_tc_opts, opts, .handle = kHandle, .priority = kPriority);
    int err = bpf_tc_detach(&hook, &opts);
    if (err && err != -ENOENT && err != -EINVAL) {
        throw RuntimeError("cannot detach program from " + where(ifindex, direction) + ": " +
                           std::strerror(-err));
    }
}

}  // namespace chima::bpf
