// Import of the original prototype's files (chima-compose --legacy SERVICE [DEP]).
//
// service.yaml: service.{client, port, latency, jitter} (microseconds) and
// functions.<name>.{type: switch|container, file, control, next, latency, jitter}; a
// container's `file` is its docker-compose file. dep.yaml: functions.<name>.{id, device,
// ip, iface, paths[].{dst, stack[].{type: port|function|timestamp, value}}}, plus service,
// hosts, next, path, triggers. Devices are host addresses (10.0.0.101) or ONOS device ids
// (device:bmv2:s11); the prototype named switches s00, s11, ..., which map to s0, s1, ...
// when the topology has no switch of the doubled name.
#pragma once

#include <optional>
#include <string>

#include "chima/model/placement.hpp"
#include "chima/model/service.hpp"
#include "chima/model/topology.hpp"

namespace chima {

struct LegacyImport {
    Service service;
    std::optional<Placement> placement;  // from dep.yaml when given
};

LegacyImport import_legacy(const Topology& topo, const std::string& service_path,
                           const std::optional<std::string>& dep_path);

}  // namespace chima
