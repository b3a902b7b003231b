// A switch or host of an emulated network is its network namespace: when the namespace
// disappears, so does the node (everything in it went with it). NodePresence notices a
// node going and coming back from its namespace's name alone.
#pragma once

#include <string>
#include <vector>

namespace chima::collector {

struct WatchedNode {
    std::string name;   // the topology's name, e.g. "s3"
    std::string netns;  // its namespace, e.g. "chima.minimal.s3"
};

struct NodeChange {
    std::string node;
    bool missing = false;  // true: node-missing; false: node-back
};

class NodePresence {
  public:
    // `exists` says whether a namespace exists now (net::NetNs::exists; a fake in tests).
    using Exists = bool (*)(const std::string& netns);
    NodePresence(std::vector<WatchedNode> nodes, Exists exists);

    // Looks at every node; returns those that went or came back since the last look. A node
    // missing at the first look is reported then.
    std::vector<NodeChange> update();

  private:
    std::vector<WatchedNode> nodes_;
    std::vector<bool> missing_;
    Exists exists_;
};

}  // namespace chima::collector
