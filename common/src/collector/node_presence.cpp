#include "chima/collector/node_presence.hpp"

namespace chima::collector {

NodePresence::NodePresence(std::vector<WatchedNode> nodes, Exists exists)
    : nodes_(std::move(nodes)), missing_(nodes_.size(), false), exists_(exists) {}

std::vector<NodeChange> NodePresence::update() {
    std::vector<NodeChange> out;
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
        bool missing = !exists_(nodes_[i].netns);
        if (missing != missing_[i]) {
            missing_[i] = missing;
            out.push_back({nodes_[i].name, missing});
        }
    }
    return out;
}

}  // namespace chima::collector
