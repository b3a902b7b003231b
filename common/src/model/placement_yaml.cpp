#include "chima/model/placement.hpp"
#include "chima/state_file.hpp"
#include "chima/yaml/yaml_view.hpp"

namespace chima {

const PlacementEntry* Placement::find(const std::string& chain, const std::string& fn) const {
    if (auto it = entries.find(chain + "/" + fn); it != entries.end()) return &it->second;
    if (auto it = entries.find(fn); it != entries.end()) return &it->second;
    return nullptr;
}

Placement parse_placement(const std::string& text, const std::string& file) {
    YamlView root = YamlView::load_text(text, file);
    root.expect_map("placement file");
    root.allow_keys({"kind", "version", "placement"});
    Placement p;
    p.file = file;
    for (const auto& [k, v] : root.at("placement").expect_map("placement").entries()) {
        std::string key = k.str();
        if (p.entries.count(key)) k.fail("function '" + key + "' placed twice");
        p.entries[key] = PlacementEntry{v.name(), v.mark()};
    }
    return p;
}

Placement load_placement(const std::string& path) {
    return parse_placement(read_file(path), path);
}

}  // namespace chima
