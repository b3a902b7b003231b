#include "chima/bpf/switch_pipeline.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "chima/bpf/pin_dir.hpp"
#include "chima/bpf/tc.hpp"
#include "chima/error.hpp"
#include "chima_switch.skel.h"
#include "libbpf_support.hpp"

namespace chima::bpf {
namespace {

namespace fs = std::filesystem;

constexpr const char* kIngressPin = "chima_pipeline_ingress";
constexpr const char* kResumePin = "chima_pipeline_resume";
constexpr const char* kFunctionPin = "function";

struct SkeletonDeleter {
    void operator()(chima_switch* skel) const { chima_switch__destroy(skel); }
};

void check_port(uint32_t port) {
    if (port == 0 || port >= CHIMA_MAX_PORTS) {
        throw InputError("switch port " + std::to_string(port) + " outside 1.." +
                         std::to_string(CHIMA_MAX_PORTS - 1));
    }
}

void check_slot(uint32_t slot) {
    if (slot == 0 || slot >= CHIMA_MAX_SLOTS) {
        throw InputError("function slot " + std::to_string(slot) + " outside 1.." +
                         std::to_string(CHIMA_MAX_SLOTS - 1));
    }
}

void update(int map_fd, const void* key, const void* value, const std::string& what) {
    if (bpf_map_update_elem(map_fd, key, value, BPF_ANY) != 0)
        throw_errno("cannot set " + what);
}

void erase(int map_fd, const void* key, const std::string& what) {
    if (bpf_map_delete_elem(map_fd, key) != 0 && errno != ENOENT) {
        throw_errno("cannot delete " + what);
    }
}

void copy_mac(uint8_t* out, Mac mac) {
    for (int i = 0; i < 6; ++i)
        out[i] = static_cast<uint8_t>(mac.value >> (8 * (5 - i)));
}

chima_mac_key mac_key(Mac mac) {
    chima_mac_key key{};
    copy_mac(key.addr, mac);
    return key;
}

chima_prefix_key prefix_key(Ipv4 prefix, uint8_t prefix_len) {
    if (prefix_len > 32) {
        throw InputError("IPv4 prefix length " + std::to_string(prefix_len) + " above 32");
    }
    uint32_t mask = prefix_len == 0 ? 0 : ~uint32_t{0} << (32 - prefix_len);
    chima_prefix_key key{};
    key.prefixlen = prefix_len;
    key.addr_be = htobe32(prefix.value & mask);
    return key;
}

// The function program of `obj`: the one named `name`, or the only one.
bpf_program* pick_program(bpf_object* obj, const std::string& name, const fs::path& object) {
    if (!name.empty()) {
        bpf_program* prog = bpf_object__find_program_by_name(obj, name.c_str());
        if (!prog)
            throw InputError(object.string() + ": no program named '" + name + "'");
        return prog;
    }
    bpf_program* found = nullptr;
    bpf_program* prog = nullptr;
    int count = 0;
    bpf_object__for_each_program(prog, obj) {
        found = prog;
        ++count;
    }
    if (count != 1) {
        throw InputError(object.string() + ": holds " + std::to_string(count) +
                         " programs; name the function program");
    }
    return found;
}

// bpffs refuses names with dots; libbpf names internal maps "<obj>.rodata", "<obj>.bss".
std::string pin_name(std::string name) {
    for (char& c : name) {
        if (c == '.')
            c = '_';
    }
    return name;
}

}  // namespace

const char* drop_reason_name(unsigned reason) {
    static const char* const names[] = CHIMA_DROP_REASON_NAMES;
    static_assert(sizeof(names) / sizeof(names[0]) == CHIMA_DROP_REASON_COUNT);
    return reason < CHIMA_DROP_REASON_COUNT ? names[reason] : "unknown";
}

SwitchPipeline SwitchPipeline::create(const fs::path& pin_dir) {
    detail::route_libbpf_logs();
    make_pin_dir(pin_dir);
    PinLock lock(pin_dir);
    if (fs::exists(pin_dir / kIngressPin)) {
        throw RuntimeError(pin_dir.string() + " already holds a switch pipeline",
                           "remove it first (chima-net down)");
    }
    std::unique_ptr<chima_switch, SkeletonDeleter> skel(chima_switch__open_and_load());
    if (!skel) {
        throw RuntimeError(
            std::string("the kernel refused the switch pipeline: ") + std::strerror(errno),
            "needs root (CAP_BPF, CAP_NET_ADMIN); -vv shows the verifier log");
    }
    uint32_t key = CHIMA_RESUME_KEY;
    int resume_fd = bpf_program__fd(skel->progs.chima_pipeline_resume);
    update(bpf_map__fd(skel->maps.chima_resume), &key, &resume_fd, "the resume program");

    detail::PinRollback rollback;
    bpf_map* map = nullptr;
    bpf_object__for_each_map(map, skel->obj) {
        fs::path path = pin_dir / pin_name(bpf_map__name(map));
        pin_object(bpf_map__fd(map), path);
        rollback.add(path);
    }
    for (auto [prog, name] : {std::pair{skel->progs.chima_pipeline_ingress, kIngressPin},
                              std::pair{skel->progs.chima_pipeline_resume, kResumePin}}) {
        pin_object(bpf_program__fd(prog), pin_dir / name);
        rollback.add(pin_dir / name);
    }
    SwitchPipeline pipeline = open(pin_dir);
    rollback.dismiss();
    spdlog::debug("switch pipeline pinned in {}", pin_dir.string());
    return pipeline;
}

SwitchPipeline SwitchPipeline::open(const fs::path& pin_dir) {
    detail::route_libbpf_logs();
    SwitchPipeline p(pin_dir);
    p.ingress_ = open_pinned(pin_dir / kIngressPin);
    p.resume_ = open_pinned(pin_dir / kResumePin);
    p.scratch_ = open_pinned(pin_dir / "chima_scratch");
    p.resume_map_ = open_pinned(pin_dir / "chima_resume");
    p.slots_ = open_pinned(pin_dir / "chima_slots");
    p.ports_ = open_pinned(pin_dir / "chima_ports");
    p.ifindex_ports_ = open_pinned(pin_dir / "chima_ifindex_ports");
    p.mac_routes_ = open_pinned(pin_dir / "chima_mac_routes");
    p.prefix_routes_ = open_pinned(pin_dir / "chima_prefix_routes");
    p.port_counters_ = open_pinned(pin_dir / "chima_port_counters");
    p.drop_counters_ = open_pinned(pin_dir / "chima_drop_counters");
    p.int_watchlist_ = open_pinned(pin_dir / "chima_int_watchlist");
    p.int_config_ = open_pinned(pin_dir / "chima_int_config");
    p.int_sink_ports_ = open_pinned(pin_dir / "chima_int_sink_ports");
    p.int_report_ = open_pinned(pin_dir / "chima_int_report");
    p.int_report_seq_ = open_pinned(pin_dir / "chima_int_report_seq");
    return p;
}

void SwitchPipeline::remove(const fs::path& pin_dir) {
    if (!fs::exists(pin_dir))
        return;
    PinLock lock(pin_dir);
    remove_pin_dir(pin_dir);
}

void SwitchPipeline::attach(int ifindex) const {
    attach_tc(ifindex, TcDirection::Ingress, ingress_.get());
}

void SwitchPipeline::detach(int ifindex) const {
    detach_tc(ifindex, TcDirection::Ingress);
}

void SwitchPipeline::set_port(uint32_t port, const PortConfig& config) {
    check_port(port);
    if (config.ifindex == 0)
        throw InputError("switch port " + std::to_string(port) + ": ifindex 0");
    chima_port value{};
    value.ifindex = config.ifindex;
    copy_mac(value.own_mac, config.own_mac);
    copy_mac(value.peer_mac, config.peer_mac);
    value.rewrite_mac = config.rewrite_mac ? 1 : 0;
    value.deliver_to_peer = config.deliver_to_peer ? 1 : 0;
    // The ifindex -> port entry first: a packet arriving meanwhile is counted on the port.
    update(ifindex_ports_.get(), &value.ifindex, &port, "ifindex of port " + std::to_string(port));
    update(ports_.get(), &port, &value, "port " + std::to_string(port));
}

void SwitchPipeline::set_port_delivery(uint32_t port, bool deliver_to_peer) {
    check_port(port);
    chima_port value{};
    if (bpf_map_lookup_elem(ports_.get(), &port, &value) != 0 || value.ifindex == 0)
        throw RuntimeError("switch port " + std::to_string(port) + " of " + dir_.string() +
                           " is not configured");
    value.deliver_to_peer = deliver_to_peer ? 1 : 0;
    update(ports_.get(), &port, &value, "port " + std::to_string(port));
}

void SwitchPipeline::clear_port(uint32_t port) {
    check_port(port);
    chima_port value{};
    if (bpf_map_lookup_elem(ports_.get(), &port, &value) == 0 && value.ifindex != 0) {
        erase(ifindex_ports_.get(), &value.ifindex, "ifindex of port " + std::to_string(port));
    }
    chima_port empty{};
    update(ports_.get(), &port, &empty, "port " + std::to_string(port));
}

void SwitchPipeline::set_mac_route(Mac destination, uint32_t port) {
    check_port(port);
    chima_mac_key key = mac_key(destination);
    chima_route route{port};
    update(mac_routes_.get(), &key, &route, "MAC route " + destination.str());
}

void SwitchPipeline::delete_mac_route(Mac destination) {
    chima_mac_key key = mac_key(destination);
    erase(mac_routes_.get(), &key, "MAC route " + destination.str());
}

void SwitchPipeline::set_prefix_route(Ipv4 prefix, uint8_t prefix_len, uint32_t port) {
    check_port(port);
    chima_prefix_key key = prefix_key(prefix, prefix_len);
    chima_route route{port};
    update(prefix_routes_.get(), &key, &route,
           "route " + prefix.str() + "/" + std::to_string(prefix_len));
}

void SwitchPipeline::delete_prefix_route(Ipv4 prefix, uint8_t prefix_len) {
    chima_prefix_key key = prefix_key(prefix, prefix_len);
    erase(prefix_routes_.get(), &key, "route " + prefix.str() + "/" + std::to_string(prefix_len));
}

fs::path SwitchPipeline::slot_dir(uint32_t slot) const {
    return dir_ / ("slot-" + std::to_string(slot));
}

void SwitchPipeline::install_function(uint32_t slot, const fs::path& object,
                                      const std::string& program, const MapsReady& before_live) {
    check_slot(slot);
    detail::route_libbpf_logs();
    if (!fs::is_regular_file(object)) {
        throw InputError("function object " + object.string() + " does not exist");
    }
    PinLock lock(dir_);

    detail::ObjectPtr obj(bpf_object__open_file(object.c_str(), nullptr));
    if (!obj) {
        throw InputError("cannot open function object " + object.string() + ": " +
                         detail::libbpf_error(errno));
    }
    // The function shares the packet scratch and the resume program with this switch.
    for (auto [name, fd] : {std::pair{"chima_scratch", scratch_.get()},
                            std::pair{"chima_resume", resume_map_.get()}}) {
        bpf_map* map = bpf_object__find_map_by_name(obj.get(), name);
        if (!map) {
            throw InputError(object.string() + ": not a CHIMA function (no map " + name +
                             "; declare CHIMA_SHARED_MAPS)");
        }
        int err = bpf_map__reuse_fd(map, fd);
        if (err)
            throw RuntimeError(std::string("cannot share ") + name + ": " +
                               detail::libbpf_error(err));
    }
    bpf_program* prog = pick_program(obj.get(), program, object);
    if (bpf_program__type(prog) != BPF_PROG_TYPE_SCHED_CLS) {
        throw InputError(object.string() + ": function program '" + bpf_program__name(prog) +
                         "' is not a TC program (use SEC(\"tc\"))");
    }
    int err = bpf_object__load(obj.get());
    if (err) {
        throw RuntimeError(
            "the kernel refused function " + object.string() + ": " + detail::libbpf_error(err),
            "-vv shows the verifier log");
    }

    // Pin beside the current function, switch the slot, then retire the old pins.
    fs::path next = dir_ / ("slot-" + std::to_string(slot) + "-next");
    remove_pin_dir(next);
    detail::PinRollback rollback;
    rollback.add(next);
    make_pin_dir(next);
    pin_object(bpf_program__fd(prog), next / kFunctionPin);
    bpf_map* map = nullptr;
    bpf_object__for_each_map(map, obj.get()) {
        std::string name = bpf_map__name(map);
        if (name == "chima_scratch" || name == "chima_resume")
            continue;
        pin_object(bpf_map__fd(map), next / pin_name(name));
    }
    if (before_live)
        before_live(next);
    int prog_fd = bpf_program__fd(prog);
    update(slots_.get(), &slot, &prog_fd, "function slot " + std::to_string(slot));
    rollback.dismiss();
    remove_pin_dir(slot_dir(slot));
    fs::rename(next, slot_dir(slot));
    spdlog::debug("slot {} of {} runs {}", slot, dir_.string(), object.string());
}

void SwitchPipeline::clear_slot(uint32_t slot) {
    check_slot(slot);
    PinLock lock(dir_);
    erase(slots_.get(), &slot, "function slot " + std::to_string(slot));
    remove_pin_dir(slot_dir(slot));
}

uint32_t SwitchPipeline::slot_program_id(uint32_t slot) const {
    check_slot(slot);
    uint32_t id = 0;
    if (bpf_map_lookup_elem(slots_.get(), &slot, &id) != 0) {
        if (errno == ENOENT)
            return 0;
        throw_errno("cannot read function slot " + std::to_string(slot));
    }
    return id;
}

DropCounters SwitchPipeline::drop_counters() const {
    DropCounters counters{};
    for (uint32_t reason = 0; reason < CHIMA_DROP_REASON_COUNT; ++reason) {
        counters[reason] = detail::sum_percpu_u64(drop_counters_.get(), reason);
    }
    return counters;
}

PortCounters SwitchPipeline::port_counters(uint32_t port) const {
    check_port(port);
    size_t stride = 0;
    int cpus = 0;
    auto values = detail::read_percpu(port_counters_.get(), port, sizeof(chima_port_counters),
                                      &stride, &cpus);
    PortCounters total;
    for (int cpu = 0; cpu < cpus; ++cpu) {
        chima_port_counters c{};
        std::memcpy(&c, values.data() + stride * cpu, sizeof(c));
        total.rx_packets += c.rx_packets;
        total.rx_bytes += c.rx_bytes;
        total.tx_packets += c.tx_packets;
        total.tx_bytes += c.tx_bytes;
    }
    return total;
}

}  // namespace chima::bpf
