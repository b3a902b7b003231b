// chima-relocate's planning: from a violation to a new deployment that avoids what
// degraded, computed by the same compose() chima-compose uses, and the difference.
#pragma once

#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "chima/compose/graph.hpp"
#include "chima/model/deployment.hpp"
#include "chima/model/placement.hpp"

namespace chima::relocate {

// What a violation for an exited function does: start it again where it was, or place it
// elsewhere as if its node were down.
enum class OnExit { Restart, Move };
OnExit on_exit_from_string(const std::string& text);  // InputError unless restart|move
std::string to_string(OnExit policy);

struct RelocationOptions {
    // What moving one function costs in the placement (relocation prefers staying put).
    Nanoseconds move_cost = 1'000'000;
    // Cost of a link that is down (effectively: never use it).
    Nanoseconds down_cost = 1'000'000'000'000;
    // A planned target (chima-relocate --to; the prototype's redep.yaml): the relocation goes
    // to this placement instead of computing one. Paths still avoid what degraded.
    std::optional<Placement> target;
    OnExit on_exit = OnExit::Restart;
};

// What a violation says to avoid: links with their measured cost, nodes that were slow.
struct Degradation {
    LinkCosts links;                           // extra cost per directed link
    std::map<std::string, Nanoseconds> nodes;  // extra cost per host
    std::string describe;                      // "s0-s1 measured 21ms"
    // An exited function to start again in place (OnExit::Restart): the deployment stays,
    // its dead instance is replaced.
    bool restart = false;
    bool empty() const { return links.empty() && nodes.empty() && !restart; }
};

// The service of a deployment (its chains and function specs), to compose it again.
Service service_of(const Deployment& d);

// InputError (naming the topology file) unless `topology` is the one `current` was composed
// on: the same name, switches (with their ids), hosts and client.
void check_topology_of(const Topology& topology, const Deployment& current);

// Reads a violation line (chima-watch); std::nullopt when it names nothing to avoid.
// latency/jitter: the worst segment costs what was measured; link, silence: the worst
// segment (a link, or a function's node) is down; node: a missing switch takes its links
// and attached hosts with it, a missing host its functions; availability: per on_exit.
std::optional<Degradation> degradation_of(const Deployment& d, const nlohmann::json& violation,
                                          const RelocationOptions& options);

// Adds b's costs to a (degradations accumulate over a run).
void merge(Degradation& a, const Degradation& b);

// The new deployment: placement and paths recomputed on `topology` with the degraded
// costs, keeping what does not need to move (slots, ids, addresses stay stable).
Deployment plan_relocation(const Topology& topology, const Deployment& current,
                           const Degradation& degradation, const RelocationOptions& options);

// What changes between two deployments: functions that move, flows whose stacks change,
// sections whose segments change. {"type": "plan", ...}
nlohmann::json relocation_diff(const Deployment& from, const Deployment& to);

}  // namespace chima::relocate
