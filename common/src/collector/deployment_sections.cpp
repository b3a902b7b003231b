#include "chima/collector/deployment_sections.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "chima/error.hpp"

namespace chima::collector {

std::vector<WatchedSection> sections_from_deployment(const Deployment& deployment) {
    std::vector<WatchedSection> out;
    for (const auto& section : deployment.sections) {
        WatchedSection w;
        w.chain = section.chain;
        w.name = section.name;
        w.latency_threshold_ns =
            static_cast<std::uint64_t>(std::max<Nanoseconds>(section.sla.latency, 0));
        w.jitter_threshold_ns =
            static_cast<std::uint64_t>(std::max<Nanoseconds>(section.sla.jitter, 0));
        for (const auto& seg : section.segments) {
            chima_segment_key key = seg.kind == SegmentKind::Function
                                        ? function_segment(seg.function_id)
                                        : link_segment(seg.a_id, seg.b_id);
            w.segments.push_back(SegmentRef{key, seg.key()});
        }
        out.push_back(std::move(w));
    }
    return out;
}

void defaults_from_deployment(const Deployment& deployment, CollectOptions& options,
                              bool alpha_given, bool poll_given) {
    if (deployment.chains.empty())
        return;
    if (!alpha_given) {
        options.alpha = deployment.chains.front().alpha;
        for (const auto& c : deployment.chains)
            if (c.alpha != options.alpha)
                spdlog::warn("chain {} asks for alpha {}; the collector uses {} for every chain",
                             c.name, c.alpha, options.alpha);
    }
    if (!poll_given) {
        Nanoseconds poll = deployment.chains.front().poll;
        for (size_t i = 0; i < deployment.chains.size(); ++i) {
            const ChainInfo& c = deployment.chains[i];
            // The collector polls in whole milliseconds: a shorter interval is not one it
            // can keep (see chima-collect(1), EXIT STATUS).
            if (c.poll < 1'000'000) {
                throw InputError(SourceMark{options.deployment_file.value_or("deployment")},
                                 "at /chains/" + std::to_string(i) + "/poll_ns: poll interval " +
                                     std::to_string(c.poll) + " ns is under 1 ms");
            }
            poll = std::min(poll, c.poll);
        }
        options.poll = std::chrono::milliseconds(poll / 1'000'000);
    }
}

}  // namespace chima::collector
