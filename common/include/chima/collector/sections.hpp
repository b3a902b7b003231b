// Watched SLA sections for the collector, as plain structs the deployment model maps to:
// which segments sum up to a section, its thresholds, and the labels (chain, segment name)
// the measurements of each segment carry.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "chima/collector.h"

namespace chima::collector {

class CollectorProgram;

struct SegmentRef {
    chima_segment_key key{};
    std::string name;  // e.g. "s0-s1" or "toupper"; empty = segment_id(key)
};

struct WatchedSection {
    std::string chain;
    std::string name;
    std::uint64_t latency_threshold_ns = 0;  // 0 = latency not watched
    std::uint64_t jitter_threshold_ns = 0;   // 0 = jitter not watched
    std::vector<SegmentRef> segments;
};

struct SegmentLabel {
    std::string chain;    // "" when no watched section names the segment
    std::string segment;  // the deployment's name, or segment_id(key)
};

// What configure_from_sections set up: section ids in the kernel and segment labels.
class SectionTable {
  public:
    SectionTable() = default;
    explicit SectionTable(std::vector<WatchedSection> sections);

    // Section id in the kernel (1-based); nullptr when unknown.
    const WatchedSection* section(std::uint32_t id) const;
    const std::vector<WatchedSection>& sections() const { return sections_; }

    // One label per chain that names the segment; {"", segment_id(key)} when none does.
    std::vector<SegmentLabel> labels(const chima_segment_key& key) const;

  private:
    struct KeyHash {
        std::size_t operator()(const chima_segment_key& k) const;
    };
    struct KeyEqual {
        bool operator()(const chima_segment_key& x, const chima_segment_key& y) const;
    };
    std::vector<WatchedSection> sections_;
    // Labels of the segments some section names, computed once.
    std::unordered_map<chima_segment_key, std::vector<SegmentLabel>, KeyHash, KeyEqual> named_;
};

// Loads the thresholds of `sections` into the program (section i gets id i + 1) and
// returns the table that names what the kernel reports.
SectionTable configure_from_sections(CollectorProgram& program,
                                     const std::vector<WatchedSection>& sections);

// Keys for the two kinds of segment.
chima_segment_key link_segment(std::uint32_t upstream_switch, std::uint32_t downstream_switch);
chima_segment_key function_segment(std::uint32_t function_id);

}  // namespace chima::collector
