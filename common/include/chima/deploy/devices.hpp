// The devices the deploying tools drive (chima-install, chima-route, chima-relocate): the
// network registry of remote/network_devices.hpp, with what a switch reached over P4Runtime
// needs from this side -- the template's P4Info, committed alone to a switch that has no
// pipeline yet (computed once, and only if such a switch is met).
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "chima/container/backend.hpp"
#include "chima/device/registry.hpp"
#include "chima/model/topology.hpp"
#include "chima/p4/checker.hpp"
#include "chima/remote/network_devices.hpp"

namespace chima::deploy {

std::unique_ptr<device::DeviceRegistry> open_devices(const std::string& net,
                                                     const Topology& topology,
                                                     const container::BackendOptions& containers,
                                                     remote::RemoteAccess access);

// The P4Runtime P4Info of the template pipeline `template_text` (read from `template_file`)
// with no function (names and ids as p4c gives them): what chima-compile writes as
// template.p4info.json. InputError when the front end rejects it.
nlohmann::json template_p4runtime_info(const std::string& template_text,
                                       const std::string& template_file,
                                       const p4::FrontEndOptions& front_end = {});
// The same of the installed template (p4/chima.p4).
nlohmann::json template_p4runtime_info();

}  // namespace chima::deploy
