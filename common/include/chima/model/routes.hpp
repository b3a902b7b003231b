// routes.json: the label stacks chima-route (and chima-relocate) put at the host clients and
// the flows watched by INT, as the network has them afterwards. The next run compares
// against it to remove the flows and watches a new deployment no longer has. See
// chima-route(1), OUTPUT.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "chima/model/deployment.hpp"
#include "chima/units.hpp"

namespace chima {

inline constexpr const char* kRoutesKind = "chima.routes";
inline constexpr int kRoutesVersion = 1;

// A flow's label stack at its pusher (the client or a container function's host).
struct RoutedFlow {
    std::string chain;
    std::string pusher;
    Ipv4 src_ip, dst_ip;
    std::vector<uint32_t> labels;  // MPLS label values, top of the stack first
};

// A flow on the INT watchlist of the switch that is its INT source.
struct WatchedFlow {
    std::string chain;
    std::string sw;  // "switch"
    Ipv4 src_ip, dst_ip;
};

struct Routes {
    std::string deployment;  // the id of the deployment routed
    std::string net;
    std::vector<RoutedFlow> flows;
    std::vector<WatchedFlow> int_watch;
    uint64_t changed = 0;                        // flows given a new or different stack by the run
    uint64_t removed = 0;                        // flows of the previous routes deleted by the run
    std::optional<uint64_t> forwarding_entries;  // chima-route only: entries written
};

// The flows and INT watches deployment `d` puts in network `net`: every flow with its stack,
// and the flows of every chain with SLA sections watched at the first switch of their path
// (which makes that switch their INT source). "changed" and "removed" are left 0.
Routes routes_of(const Deployment& d, const std::string& net);

nlohmann::json to_json(const Routes& doc);
// `file` names the document in errors.
Routes routes_from_json(const nlohmann::json& doc, const std::string& file);
// Reads and checks a routes.json file (InputError naming the file and JSON pointer).
Routes load_routes(const std::string& path);

}  // namespace chima
