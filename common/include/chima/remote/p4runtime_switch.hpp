// A device::SwitchDevice reached over P4Runtime (gRPC): chima-agent's switch role, or any
// target whose P4Info is CHIMA's template (p4/chima.p4) with functions at slots. Tables,
// actions and counters are addressed by name and resolved to ids through the P4Info the
// device returns; a function change is a SetForwardingPipelineConfig of the device's config
// with that slot changed (RECONCILE_AND_COMMIT). docs/architecture.md, area remote.
//
//   remote::SwitchEndpoint ep{.address = "10.0.0.1:9559", .election_id_low = 7};
//   auto sw = remote::open_p4runtime_switch("s1", ep);   // primary, or NotPrimaryError
//   sw->set_prefix_route(*Ipv4::parse("10.0.0.2"), 32, 2);
//
// Errors name the switch, its address, the RPC and what the device answered:
// "switch s1 (127.0.0.1:9559): Write: INVALID_ARGUMENT: ...". The primary role lasts as long
// as the object (its StreamChannel stays open).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "chima/device/switch_device.hpp"
#include "chima/error.hpp"

namespace chima::remote {

// PEM files of a TLS client: its certificate and key (mutual TLS) and the CA that signed
// the server's certificate.
struct P4RuntimeTlsFiles {
    std::string cert;
    std::string key;
    std::string ca;
};

struct SwitchEndpoint {
    std::string address;  // HOST:PORT
    uint64_t device_id = 1;
    uint64_t election_id_high = 0;
    uint64_t election_id_low = 1;
    std::optional<P4RuntimeTlsFiles> tls;     // none: an insecure channel
    std::chrono::milliseconds timeout{5000};  // per RPC (and for the arbitration answer)
    // The template's P4Info (chima-compile's template.p4info.json, protobuf JSON mapping):
    // committed with no functions when the device has no pipeline config yet. Null: such a
    // device is an error.
    nlohmann::json template_p4info;
};

// Another client holds the primary role: the tool says so and exits 1.
class NotPrimaryError : public RuntimeError {
  public:
    using RuntimeError::RuntimeError;
};

// Connects, arbitrates (the answer within the endpoint's timeout), and reads the device's
// P4Info. RuntimeError naming the switch and address when it cannot be reached or refuses;
// NotPrimaryError when a higher election id holds the role.
std::unique_ptr<device::SwitchDevice> open_p4runtime_switch(const std::string& name,
                                                            const SwitchEndpoint& endpoint);

}  // namespace chima::remote
