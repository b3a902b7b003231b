#include "chima/collector/collect_session.hpp"

#include <net/if.h>
#include <signal.h>
#include <limits.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <mutex>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "chima/collector/deployment_sections.hpp"
#include "chima/collector/ewma.hpp"
#include "chima/collector/metrics_server.hpp"
#include "chima/collector/report_decoder.hpp"
#include "chima/error.hpp"
#include "chima/file_change.hpp"
#include "chima/net/netns.hpp"

namespace chima::collector {

namespace {

volatile sig_atomic_t g_stop = 0;

void on_stop_signal(int) {
    g_stop = 1;
}

// Installs the SIGINT/SIGTERM handlers (without SA_RESTART, so a blocking poll returns
// early) and restores the previous ones when destroyed.
class StopSignals {
  public:
    StopSignals() {
        g_stop = 0;
        struct sigaction sa {};
        sa.sa_handler = on_stop_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, &old_int_);
        sigaction(SIGTERM, &sa, &old_term_);
    }
    ~StopSignals() {
        sigaction(SIGINT, &old_int_, nullptr);
        sigaction(SIGTERM, &old_term_, nullptr);
    }
    bool stop() const { return g_stop != 0; }

  private:
    struct sigaction old_int_ {};
    struct sigaction old_term_ {};
};

std::int64_t clock_ns(clockid_t clock) {
    timespec t{};
    clock_gettime(clock, &t);
    return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

// Ring-buffer events and segment states carry CLOCK_MONOTONIC times (bpf_ktime_get_ns,
// bpf_ktime_get_coarse_ns); lines carry wall-clock ns. One offset converts them.
std::int64_t monotonic_offset() {
    return clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
}

void write_line(std::ostream& out, const std::string& line) {
    out << line << '\n' << std::flush;
}

// Newline-terminated lines, flushed in whole lines of at most PIPE_BUF bytes: a pipe
// writes each such chunk atomically, so another writer on the same pipe (the health watch
// in the loop) never lands inside one of our lines.
void write_lines(std::ostream& out, const std::string& lines) {
    std::size_t start = 0;
    while (start < lines.size()) {
        std::size_t end = start;
        while (end < lines.size()) {
            std::size_t nl = lines.find('\n', end);
            std::size_t next = nl == std::string::npos ? lines.size() : nl + 1;
            if (next - start > PIPE_BUF && end > start)
                break;
            end = next;
        }
        out.write(lines.data() + start, static_cast<std::streamsize>(end - start));
        out.flush();
        start = end;
    }
}

int resolve_ifindex(const std::string& iface) {
    unsigned index = if_nametoindex(iface.c_str());
    if (index == 0)
        throw InputError("no interface '" + iface + "'", "check 'ip link' (and --netns)");
    return static_cast<int>(index);
}

}  // namespace

void append_json_string(std::string& out, const std::string& text) {
    out.push_back('"');
    for (char c : text) {
        auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(c);
        } else if (u < 0x20) {
            fmt::format_to(std::back_inserter(out), "\\u{:04x}", u);
        } else {
            out.push_back(c);
        }
    }
    out.push_back('"');
}

std::string measurement_line(std::int64_t ts_ns, const SegmentLabel& label,
                             const SegmentReading& reading) {
    std::string line;
    line.reserve(160);
    // ts_ns: wall-clock nanoseconds since the epoch of the newest sample, like every CHIMA
    // timestamp; "ts" is the same value under the name earlier versions used.
    fmt::format_to(std::back_inserter(line),
                   "{{\"type\":\"measurement\",\"ts\":{},\"ts_ns\":{},\"chain\":", ts_ns, ts_ns);
    append_json_string(line, label.chain);
    line += ",\"segment\":";
    append_json_string(line, label.segment);
    fmt::format_to(std::back_inserter(line), ",\"latency_ns\":{},\"jitter_ns\":{},\"samples\":{}}}",
                   std::llround(reading.latency_ns), std::llround(reading.jitter_ns),
                   reading.samples);
    return line;
}

std::string measurement_lines(std::int64_t mono_to_wall,
                              const std::vector<SegmentReading>& readings,
                              const SectionTable& table, const SilenceTracker* silence) {
    std::string out;
    out.reserve(readings.size() * 128);
    for (const auto& reading : readings) {
        if (reading.samples == 0 || (silence && silence->silent(reading.key)))
            continue;
        std::int64_t ts = static_cast<std::int64_t>(reading.last_update_ns) + mono_to_wall;
        for (const auto& label : table.labels(reading.key)) {
            out += measurement_line(ts, label, reading);
            out.push_back('\n');
        }
    }
    return out;
}

std::string silence_lines(std::int64_t now_wall_ns, std::int64_t mono_to_wall,
                          const SilenceChange& change, const SectionTable& table,
                          const SilenceTracker& tracker) {
    std::string out;
    std::int64_t last_sample = static_cast<std::int64_t>(change.last_sample_ns) + mono_to_wall;
    for (const auto& label : table.labels(change.key)) {
        nlohmann::json line{{"type", change.silent ? "silence" : "telemetry-resumed"},
                            {"ts_ns", now_wall_ns},
                            {"chain", label.chain},
                            {"segment", label.segment}};
        if (change.silent) {
            line["since_ns"] = last_sample;
            line["bound_ns"] = change.bound_ns;
            // Every segment of the chain silent now, in journey order.
            std::vector<std::string> silent;
            for (const auto& section : table.sections()) {
                if (section.chain != label.chain)
                    continue;
                for (const auto& ref : section.segments) {
                    std::string name = ref.name.empty() ? segment_id(ref.key) : ref.name;
                    if (tracker.silent(ref.key) &&
                        std::find(silent.begin(), silent.end(), name) == silent.end())
                        silent.push_back(name);
                }
            }
            line["silent"] = silent;
        } else {
            line["sample_ns"] = last_sample;
        }
        line["samples"] = change.samples;
        out += line.dump();
        out.push_back('\n');
    }
    return out;
}

std::string node_line(std::int64_t now_wall_ns, const NodeChange& change) {
    nlohmann::json line{{"type", change.missing ? "node-missing" : "node-back"},
                        {"ts_ns", now_wall_ns},
                        {"node", change.node}};
    return line.dump();
}

std::string crossing_line(std::int64_t ts, const chima_collector_event& event,
                          const SectionTable& table) {
    const WatchedSection* section = table.section(event.section);
    nlohmann::json line{{"type", "crossing"},
                        {"ts", ts},
                        {"chain", section ? section->chain : ""},
                        {"section", section ? section->name : std::to_string(event.section)},
                        {"metric", event.metric == CHIMA_METRIC_JITTER ? "jitter" : "latency"},
                        {"direction", event.above ? "above" : "below"},
                        {"value_ns", event.value_ns},
                        {"threshold_ns", event.threshold_ns},
                        {"segment", table.labels(event.segment).front().segment},
                        {"segment_value_ns", event.segment_value_ns}};
    return line.dump();
}

MetricsSnapshot take_snapshot(const CollectorProgram& program, const SectionTable& table) {
    MetricsSnapshot snap;
    for (const auto& reading : program.read_segments()) {
        if (reading.samples == 0)
            continue;
        for (const auto& label : table.labels(reading.key))
            snap.segments.push_back(
                SegmentMetric{label.chain, label.segment, reading.latency_ns, reading.jitter_ns});
    }
    CollectorCounters counters = program.read_counters();
    snap.reports = counters.reports;
    for (int r = CHIMA_REPORT_TRUNCATED; r < CHIMA_REPORT_STATUS_COUNT; ++r) {
        auto status = static_cast<chima_report_status>(r);
        snap.malformed.emplace_back(std::string(status_name(status)), counters.malformed[r]);
    }
    for (const auto& seq : program.read_sequences())
        snap.seq_gaps += seq.gaps;
    return snap;
}

int run_collector(const CollectOptions& options, const std::vector<WatchedSection>& sections,
                  std::ostream& out) {
    if (options.poll.count() <= 0)
        throw InputError("the poll interval must be positive");
    std::uint64_t alpha_q32 = alpha_to_q32(options.alpha);
    std::optional<ListenAddress> listen;
    if (options.metrics)
        listen = parse_listen_address(*options.metrics);

    CollectorProgram program;
    program.configure(alpha_q32, options.udp_port);
    // The table of watched sections is replaced when the deployment changes; the metrics
    // server reads it from its own thread.
    std::mutex table_mutex;
    auto table = std::make_shared<const SectionTable>(configure_from_sections(program, sections));
    auto current_table = [&] {
        std::lock_guard lock(table_mutex);
        return table;
    };
    std::optional<FileChange> deployment_changed;
    if (options.deployment_file)
        deployment_changed.emplace(*options.deployment_file);
    // The interface is looked up and XDP attached from inside the collector's namespace.
    auto attach = [&] { program.attach(resolve_ifindex(options.iface), options.mode); };
    if (options.netns) {
        if (!net::NetNs::exists(*options.netns)) {
            throw InputError("no network namespace '" + *options.netns + "'",
                             "list them with 'ip netns'");
        }
        net::NetNs::open(*options.netns).run(attach);
    } else {
        attach();
    }
    spdlog::info("collecting telemetry reports on {} (UDP port {}, alpha {}, poll {} ms)",
                 options.iface, options.udp_port, options.alpha, options.poll.count());

    // The metrics server lives in the namespace we were started in (where Prometheus is).
    std::unique_ptr<MetricsServer> server;
    if (listen) {
        server = std::make_unique<MetricsServer>(*listen, [&program, &current_table] {
            return render_prometheus(take_snapshot(program, *current_table()));
        });
        spdlog::info("serving /metrics on {}:{}", listen->host, server->port());
    }

    EventStream events(program, [&](const chima_collector_event& e) {
        if (options.events)
            write_line(out, crossing_line(static_cast<std::int64_t>(e.ts_ns) + monotonic_offset(),
                                          e, *current_table()));
        spdlog::debug("section {} {} {} threshold: {} ns", e.section,
                      e.metric == CHIMA_METRIC_JITTER ? "jitter" : "latency",
                      e.above ? "above" : "below", e.value_ns);
    });

    SilenceTracker silence(options.silence);
    NodePresence nodes(options.nodes, &net::NetNs::exists);
    if (options.silence.after)
        spdlog::info("a watched segment without a sample for {} ms is silent",
                     options.silence.after->count() / 1'000'000);
    else
        spdlog::info("a watched segment is silent after max({} x its sample interval, {} ms)",
                     options.silence.intervals, options.silence.floor.count() / 1'000'000);

    StopSignals signals;
    using Clock = std::chrono::steady_clock;
    const auto check =
        std::max(std::chrono::milliseconds(1), std::min(options.fault_check, options.poll));
    auto next_poll = Clock::now() + options.poll;
    auto next_check = Clock::now() + check;
    while (!signals.stop()) {
        auto due = std::min(next_poll, next_check);
        auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(due - Clock::now());
        if (wait.count() > 0 && events.poll(static_cast<int>(wait.count())) < 0)
            continue;
        auto now = Clock::now();
        if (now < due)
            continue;
        if (now >= next_check) {
            // Faults first: a silent segment or a missing node is reported at once, between
            // polls. Silence is judged on the kernel's own sample times.
            next_check = std::max(next_check + check, now);
            std::string lines;
            std::int64_t wall = clock_ns(CLOCK_REALTIME);
            for (const auto& change : nodes.update())
                lines += node_line(wall, change) + "\n";
            auto readings = program.read_segments();
            auto tbl = current_table();
            std::int64_t offset = monotonic_offset();
            auto mono = static_cast<std::uint64_t>(clock_ns(CLOCK_MONOTONIC));
            for (const auto& change : silence.update(readings, *tbl, mono)) {
                lines += silence_lines(wall, offset, change, *tbl, silence);
                spdlog::info("{} {}: last sample {:.1f} ms ago (bound {:.1f} ms)",
                             tbl->labels(change.key).front().segment,
                             change.silent ? "silent" : "speaks again",
                             static_cast<double>(mono - change.last_sample_ns) / 1e6,
                             static_cast<double>(change.bound_ns) / 1e6);
            }
            write_lines(out, lines);
        }
        if (now < next_poll)
            continue;
        next_poll += options.poll;
        if (next_poll < Clock::now())
            next_poll = Clock::now() + options.poll;  // fell behind
        if (deployment_changed && deployment_changed->changed()) {
            try {
                Deployment d = load_deployment(*options.deployment_file);
                auto next = std::make_shared<const SectionTable>(
                    configure_from_sections(program, sections_from_deployment(d)));
                std::lock_guard lock(table_mutex);
                table = next;
                spdlog::info("deployment changed: watching {} section(s) of deployment {}",
                             d.sections.size(), d.id);
            } catch (const std::exception& e) {
                spdlog::warn("{} changed but cannot be used ({}); the sections stay",
                             *options.deployment_file, e.what());
            }
        }
        std::string lines = measurement_lines(monotonic_offset(), program.read_segments(),
                                              *current_table(), &silence);
        write_lines(out, lines);
    }
    spdlog::info("stopping: detaching from {}", options.iface);
    return 0;
}

}  // namespace chima::collector
