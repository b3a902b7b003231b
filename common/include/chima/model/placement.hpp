// placement.yaml: the orchestrator's decision, function -> switch or host.
#pragma once

#include <map>
#include <string>

#include "chima/error.hpp"

namespace chima {

struct PlacementEntry {
    std::string node;
    SourceMark mark;
};

// Keys are "function" or "chain/function" (needed only when names repeat across chains).
struct Placement {
    std::string file;
    std::map<std::string, PlacementEntry> entries;
    const PlacementEntry* find(const std::string& chain, const std::string& function) const;
};

Placement load_placement(const std::string& path);
Placement parse_placement(const std::string& text, const std::string& file);

}  // namespace chima
