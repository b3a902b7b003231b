#include "chima/collector/collector_program.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <string>

#include "chima/error.hpp"
#include "collector.skel.h"

namespace chima::collector {

namespace {

// Buckets of a hash map can hold several keys: read in chunks of this many.
constexpr std::uint32_t kBatch = 1024;

double q16_to_ns(std::uint64_t q16) {
    return static_cast<double>(q16) / static_cast<double>(1u << CHIMA_EWMA_FRAC_BITS);
}

struct KeyLess {
    bool operator()(const chima_segment_key& x, const chima_segment_key& y) const {
        if (x.kind != y.kind)
            return x.kind < y.kind;
        if (x.a != y.a)
            return x.a < y.a;
        return x.b < y.b;
    }
};

}  // namespace

CollectorProgram::CollectorProgram() {
    skel_ = collector__open_and_load();
    if (!skel_)
        throw_errno("loading the collector XDP program");
}

CollectorProgram::~CollectorProgram() {
    detach();
    collector__destroy(skel_);
}

int CollectorProgram::program_fd() const {
    return bpf_program__fd(skel_->progs.collector_xdp);
}
int CollectorProgram::events_map_fd() const {
    return bpf_map__fd(skel_->maps.events);
}
int CollectorProgram::segments_map_fd() const {
    return bpf_map__fd(skel_->maps.segments);
}

void CollectorProgram::configure(std::uint64_t alpha_q32, std::uint16_t udp_port) {
    if (alpha_q32 == 0 || alpha_q32 > CHIMA_EWMA_ALPHA_ONE)
        throw InputError("alpha must be in (0, 1]");
    chima_collector_config cfg{};
    cfg.alpha_q32 = alpha_q32;
    cfg.udp_port = udp_port;
    std::uint32_t key = 0;
    if (bpf_map_update_elem(bpf_map__fd(skel_->maps.collector_config), &key, &cfg, BPF_ANY))
        throw_errno("writing the collector configuration");
}

void CollectorProgram::set_sections(const std::vector<SectionThresholds>& sections) {
    if (sections.size() >= CHIMA_COLLECTOR_MAX_SECTIONS)
        throw InputError("too many watched sections (" + std::to_string(sections.size()) +
                         ", at most " + std::to_string(CHIMA_COLLECTOR_MAX_SECTIONS - 1) + ")");
    // Which sections each segment belongs to, checked before touching the kernel.
    std::map<chima_segment_key, std::vector<std::uint32_t>, KeyLess> membership;
    for (const auto& s : sections) {
        if (s.id == 0 || s.id >= CHIMA_COLLECTOR_MAX_SECTIONS)
            throw InputError("section id " + std::to_string(s.id) + " out of range");
        if (s.segments.size() > CHIMA_SECTION_MAX_SEGMENTS)
            throw InputError("section " + std::to_string(s.id) + " has " +
                             std::to_string(s.segments.size()) + " segments, at most " +
                             std::to_string(CHIMA_SECTION_MAX_SEGMENTS) + " are watched");
        for (const auto& key : s.segments) {
            auto& ids = membership[key];
            ids.push_back(s.id);
            if (ids.size() > CHIMA_SEGMENT_MAX_SECTIONS)
                throw InputError("a segment is in more than " +
                                 std::to_string(CHIMA_SEGMENT_MAX_SECTIONS) + " watched sections");
        }
    }

    // The segments' lists of sections first (clear the old ones, write the new ones); the
    // update under BPF_F_LOCK keeps the EWMAs of segments that already exist.
    int seg_fd = segments_map_fd();
    for (const auto& reading : read_segments()) {
        if (membership.count(reading.key))
            continue;
        chima_segment_state state{};
        if (bpf_map_lookup_elem_flags(seg_fd, &reading.key, &state, BPF_F_LOCK))
            continue;
        std::memset(state.sections, 0, sizeof(state.sections));
        bpf_map_update_elem(seg_fd, &reading.key, &state, BPF_F_LOCK);
    }
    std::map<chima_segment_key, chima_segment_state, KeyLess> current;
    for (const auto& [key, ids] : membership) {
        chima_segment_state state{};
        if (bpf_map_lookup_elem_flags(seg_fd, &key, &state, BPF_F_LOCK))
            state = {};
        std::memset(state.sections, 0, sizeof(state.sections));
        for (std::size_t i = 0; i < ids.size(); ++i)
            state.sections[i] = ids[i];
        if (bpf_map_update_elem(seg_fd, &key, &state, BPF_F_LOCK))
            throw_errno("writing a watched segment");
        current[key] = state;
    }

    // Then the sections, with the sums of what their segments hold now; from here on the
    // XDP program adds every change. (A sample landing in between is missed by the sum.)
    int sections_fd = bpf_map__fd(skel_->maps.sections);
    for (std::uint32_t id = 1; id < CHIMA_COLLECTOR_MAX_SECTIONS; ++id) {
        chima_section value{};
        for (const auto& s : sections) {
            if (s.id != id)
                continue;
            value.segment_count = static_cast<std::uint32_t>(s.segments.size());
            value.latency_threshold_ns = s.latency_threshold_ns;
            value.jitter_threshold_ns = s.jitter_threshold_ns;
            for (std::size_t i = 0; i < s.segments.size(); ++i) {
                value.segments[i] = s.segments[i];
                const auto& state = current.at(s.segments[i]);
                value.latency_sum_q16 += state.latency_q16;
                value.jitter_sum_q16 += state.jitter_q16;
            }
        }
        if (bpf_map_update_elem(sections_fd, &id, &value, BPF_F_LOCK))
            throw_errno("writing watched section " + std::to_string(id));
    }
}

void CollectorProgram::attach(int ifindex, XdpMode mode) {
    detach();
    LIBBPF_OPTS(bpf_link_create_opts, opts);
    if (mode == XdpMode::Generic)
        opts.flags = XDP_FLAGS_SKB_MODE;
    if (mode == XdpMode::Native)
        opts.flags = XDP_FLAGS_DRV_MODE;
    int fd = bpf_link_create(program_fd(), ifindex, BPF_XDP, &opts);
    if (fd < 0) {
        errno = -fd;
        throw_errno("attaching the collector XDP program to ifindex " + std::to_string(ifindex));
    }
    link_fd_ = fd;
}

void CollectorProgram::detach() {
    if (link_fd_ >= 0) {
        ::close(link_fd_);  // the last reference to the link: the kernel detaches
        link_fd_ = -1;
    }
}

std::vector<SegmentReading> CollectorProgram::read_segments() const {
    int fd = segments_map_fd();
    // Reused between polls: no allocation (and page faults) on the hot path.
    thread_local std::vector<chima_segment_key> keys(kBatch);
    thread_local std::vector<chima_segment_state> values(kBatch);
    std::vector<SegmentReading> out;
    out.reserve(last_segment_count_ + 64);
    chima_segment_key batch_token{};
    bool first = true;
    LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = BPF_F_LOCK);
    for (;;) {
        std::uint32_t count = kBatch;
        int err = bpf_map_lookup_batch(fd, first ? nullptr : &batch_token, &batch_token,
                                       keys.data(), values.data(), &count, &opts);
        int saved = errno;
        for (std::uint32_t i = 0; i < count; ++i) {
            const auto& v = values[i];
            out.push_back(SegmentReading{keys[i], q16_to_ns(v.latency_q16), q16_to_ns(v.jitter_q16),
                                         v.samples, v.last_update_ns});
        }
        first = false;
        if (err) {
            if (saved == ENOENT)
                break;  // the end of the map
            errno = saved;
            throw_errno("reading the segment map");
        }
    }
    last_segment_count_ = out.size();
    return out;
}

CollectorCounters CollectorProgram::read_counters() const {
    int cpus = libbpf_num_possible_cpus();
    if (cpus <= 0)
        throw RuntimeError("cannot count the possible CPUs");
    std::vector<chima_collector_stats> per_cpu(static_cast<std::size_t>(cpus));
    std::uint32_t key = 0;
    if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.collector_stats), &key, per_cpu.data()))
        throw_errno("reading the collector counters");
    CollectorCounters sum;
    for (const auto& c : per_cpu) {
        sum.reports += c.reports;
        for (std::size_t r = 0; r < sum.malformed.size(); ++r)
            sum.malformed[r] += c.malformed[r];
        sum.samples += c.samples;
        sum.unavailable_samples += c.unavailable_samples;
        sum.segments_full += c.segments_full;
        sum.events_lost += c.events_lost;
    }
    return sum;
}

std::vector<SwitchSequence> CollectorProgram::read_sequences() const {
    std::vector<SwitchSequence> out;
    // Ids below CHIMA_COLLECTOR_MAX_SWITCHES: the array, one batch; unused entries have no
    // reports.
    std::vector<std::uint32_t> ids(CHIMA_COLLECTOR_MAX_SWITCHES);
    std::vector<chima_switch_seq> values(CHIMA_COLLECTOR_MAX_SWITCHES);
    std::uint32_t count = CHIMA_COLLECTOR_MAX_SWITCHES;
    std::uint32_t batch_token = 0;
    int err = bpf_map_lookup_batch(bpf_map__fd(skel_->maps.switch_seq_low), nullptr, &batch_token,
                                   ids.data(), values.data(), &count, nullptr);
    if (err && errno != ENOENT)
        throw_errno("reading the sequence numbers");
    for (std::uint32_t i = 0; i < count; ++i)
        if (values[i].reports != 0)
            out.push_back(SwitchSequence{ids[i], values[i].reports, values[i].gaps});

    // Any other id: the hash.
    int fd = bpf_map__fd(skel_->maps.switch_seq);
    std::uint32_t key = 0, next = 0;
    const std::uint32_t* prev = nullptr;
    while (bpf_map_get_next_key(fd, prev, &next) == 0) {
        chima_switch_seq value{};
        if (bpf_map_lookup_elem(fd, &next, &value) == 0)
            out.push_back(SwitchSequence{next, value.reports, value.gaps});
        key = next;
        prev = &key;
    }
    return out;
}

EventStream::EventStream(const CollectorProgram& program, Handler on_event)
    : on_event_(std::move(on_event)) {
    rb_ = ring_buffer__new(program.events_map_fd(), &EventStream::trampoline, this, nullptr);
    if (!rb_)
        throw_errno("opening the collector ring buffer");
}

EventStream::~EventStream() {
    ring_buffer__free(rb_);
}

int EventStream::trampoline(void* self, void* data, std::size_t size) {
    if (size < sizeof(chima_collector_event))
        return 0;
    chima_collector_event event;
    std::memcpy(&event, data, sizeof(event));
    static_cast<EventStream*>(self)->on_event_(event);
    return 0;
}

int EventStream::poll(int timeout_ms) {
    int n = ring_buffer__poll(rb_, timeout_ms);
    if (n == -EINTR)
        return -1;
    if (n < 0) {
        errno = -n;
        throw_errno("polling the collector ring buffer");
    }
    return n;
}

}  // namespace chima::collector
