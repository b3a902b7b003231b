// The P4Runtime requests that put one switch of a deployment on a v1model target whose
// P4Info is p4c's (bmv2 simple_switch_grpc, Stratum, Tofino): the full pipeline push
// (SetForwardingPipelineConfig VERIFY_AND_COMMIT with the device config and P4Info p4c
// wrote for the switch's merged program) and then one WriteRequest with the template's
// entries and the functions' entries, every table, action and match field named as in the
// merged program and resolved to ids through that P4Info. A pure function of its inputs:
// `chima-install --dry-run` prints the list, and a P4Runtime client sends it in order.
//
//   auto info = deploy::read_p4info_text(switch_entry.p4c_p4info);
//   auto reqs = deploy::v1model_requests(d, "s1", fn_p4info, info, bmv2_json, {});
//   std::cout << deploy::requests_json(reqs).dump(2);
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "chima/model/deployment.hpp"
#include "p4/config/v1/p4info.pb.h"
#include "p4/v1/p4runtime.pb.h"

namespace chima::deploy {

struct V1modelRequests {
    ::p4::v1::SetForwardingPipelineConfigRequest pipeline;  // sent first
    ::p4::v1::WriteRequest entries;                         // then, when the push succeeded
};

// The arbitration the requests carry (the client's own MasterArbitrationUpdate precedes
// them); the device id is the topology's.
struct Election {
    uint64_t high = 0, low = 1;
};

// The requests for switch `sw` of `d`. `function_p4info` maps "chain/name" to the function's
// own P4Info JSON (chima-compile's, for resolving its service.yaml entries); `info` is p4c's
// P4Info of the switch's merged program; `device_config` the bmv2 JSON (or the target's
// device config) p4c wrote. InputError naming the switch, table, action or field when the
// P4Info lacks what the deployment needs or a value does not fit its width.
V1modelRequests v1model_requests(const Deployment& d, const std::string& sw,
                                 const std::map<std::string, nlohmann::json>& function_p4info,
                                 const ::p4::config::v1::P4Info& info,
                                 const std::string& device_config, Election election);

// A P4Info in protobuf text format (what p4c's --p4runtime-files FILE.txt writes); InputError
// naming the file when it does not parse.
::p4::config::v1::P4Info read_p4info_text(const std::string& path);

// {"switch", "device_id", "requests": [{"set_forwarding_pipeline_config": ...},
// {"write": ...}]}, each message as protobuf's JSON printer writes it (bytes in base64).
nlohmann::json requests_json(const std::string& sw, const V1modelRequests& requests);

// chima-install --dry-run: the requests for every p4runtime-target switch of `d`, from the
// outputs chima-compile recorded in `artifacts_file` (switches[].bmv2_json, p4c_p4info;
// functions[].p4info), as a JSON array of requests_json documents. Touches no device.
// InputError naming the switch when artifacts.json has no p4c outputs for it (chima-compile
// ran without p4c).
nlohmann::json v1model_dry_run(const Deployment& d, const std::string& artifacts_file,
                               Election election);

}  // namespace chima::deploy
