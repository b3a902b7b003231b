// chima-route's logic: load a deployment's label stacks into the host clients and the
// forwarding entries of its endpoints into the switches (through device::DeviceRegistry).
// `net_name` only names the network in routes.json.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "chima/device/registry.hpp"
#include "chima/label_stack.hpp"
#include "chima/model/deployment.hpp"
#include "chima/model/routes.hpp"

namespace chima::deploy {

// Checks `previous` (an earlier routes.json, read from `previous_file`) against the run
// before anything is touched: it describes network `net_name`, its flows' pushers are the
// client or hosts of `d`'s topology and its INT watches are at its switches. InputError
// naming the file and the JSON pointer otherwise.
void check_route_inputs(const Deployment& d, const std::string& net_name,
                        const std::optional<Routes>& previous, const std::string& previous_file);

// What can be in place before any flow uses it: the forwarding entries of every endpoint
// (function addresses included) on every switch and the endpoints' permanent neighbour
// entries for the function addresses. Only adds or replaces entries; the flows of an older
// deployment keep working. Returns how many forwarding entries were written.
size_t prepare_forwarding(const Deployment& d, device::DeviceRegistry& devices);

// What switching a network to a deployment's flows changes, computed before anything is
// touched: label stacks to set at host clients (only those that differ from what the client
// holds now), flows of `previous` (an earlier routes.json) to remove, INT watches to set and
// to remove, and the routes.json document the network has afterwards.
struct RouteChanges {
    struct Stack {
        std::string pusher;
        Ipv4 src, dst;
        LabelStack stack;
    };
    struct Pair {
        std::string node;  // the host client (drop) or switch (watch)
        Ipv4 src, dst;
    };
    std::vector<Stack> set;
    std::vector<Pair> drop;
    std::vector<Pair> watch, unwatch;
    Routes doc;  // routes.json (without "forwarding_entries")
};

// Reads the clients' current stacks; changes nothing.
RouteChanges plan_routes(const Deployment& d, const std::string& net_name,
                         device::DeviceRegistry& devices, const std::optional<Routes>& previous);

// The switch itself: each stack replaced in one atomic map update, then old flows removed
// and the INT watchlist updated.
void commit_routes(device::DeviceRegistry& devices, const RouteChanges& changes);

// plan_routes then commit_routes. Returns the new routes.json document.
Routes switch_routes(const Deployment& d, const std::string& net_name,
                     device::DeviceRegistry& devices, const std::optional<Routes>& previous);

// Both (chima-route): prepare_forwarding, then switch_routes. Running it twice changes
// nothing the second time. Returns the new routes.json document.
Routes apply_routes(const Deployment& d, const std::string& net_name,
                    device::DeviceRegistry& devices, const std::optional<Routes>& previous);

}  // namespace chima::deploy
