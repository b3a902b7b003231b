#include "chima/collector/sections.hpp"

#include <algorithm>

#include "chima/collector/collector_program.hpp"
#include "chima/collector/report_decoder.hpp"

namespace chima::collector {

std::size_t SectionTable::KeyHash::operator()(const chima_segment_key& k) const {
    std::uint64_t h =
        (static_cast<std::uint64_t>(k.kind) << 60) ^ (static_cast<std::uint64_t>(k.a) << 28) ^ k.b;
    return std::hash<std::uint64_t>{}(h);
}

bool SectionTable::KeyEqual::operator()(const chima_segment_key& x,
                                        const chima_segment_key& y) const {
    return x == y;
}

SectionTable::SectionTable(std::vector<WatchedSection> sections) : sections_(std::move(sections)) {
    for (const auto& s : sections_) {
        for (const auto& ref : s.segments) {
            SegmentLabel label{s.chain, ref.name.empty() ? segment_id(ref.key) : ref.name};
            auto& labels = named_[ref.key];
            bool seen = std::any_of(labels.begin(), labels.end(), [&](const SegmentLabel& l) {
                return l.chain == label.chain && l.segment == label.segment;
            });
            if (!seen)
                labels.push_back(std::move(label));
        }
    }
}

const WatchedSection* SectionTable::section(std::uint32_t id) const {
    if (id == 0 || id > sections_.size())
        return nullptr;
    return &sections_[id - 1];
}

std::vector<SegmentLabel> SectionTable::labels(const chima_segment_key& key) const {
    auto it = named_.find(key);
    if (it != named_.end())
        return it->second;
    return {SegmentLabel{"", segment_id(key)}};
}

SectionTable configure_from_sections(CollectorProgram& program,
                                     const std::vector<WatchedSection>& sections) {
    std::vector<SectionThresholds> kernel;
    for (std::size_t i = 0; i < sections.size(); ++i) {
        SectionThresholds t;
        t.id = static_cast<std::uint32_t>(i + 1);
        t.latency_threshold_ns = sections[i].latency_threshold_ns;
        t.jitter_threshold_ns = sections[i].jitter_threshold_ns;
        for (const auto& ref : sections[i].segments)
            t.segments.push_back(ref.key);
        kernel.push_back(std::move(t));
    }
    program.set_sections(kernel);
    return SectionTable(sections);
}

chima_segment_key link_segment(std::uint32_t upstream_switch, std::uint32_t downstream_switch) {
    return chima_segment_key{CHIMA_SEGMENT_LINK, upstream_switch, downstream_switch};
}

chima_segment_key function_segment(std::uint32_t function_id) {
    return chima_segment_key{CHIMA_SEGMENT_FUNCTION, function_id, 0};
}

}  // namespace chima::collector
