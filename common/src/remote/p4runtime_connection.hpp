// One P4Runtime server as the client sees it: the gRPC channel (TLS with a client
// certificate when given, insecure otherwise), a deadline on every call, retries of the
// idempotent RPCs (Read, GetForwardingPipelineConfig, Capabilities) while the server is
// UNAVAILABLE, and errors that name the switch, its address, the RPC and the answer.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "chima/error.hpp"
#include "chima/remote/p4runtime_switch.hpp"
#include "p4/v1/p4runtime.grpc.pb.h"

namespace chima::remote::detail {

// "INVALID_ARGUMENT" for grpc::StatusCode::INVALID_ARGUMENT.
std::string status_code_name(int code);

class P4RuntimeConnection {
  public:
    P4RuntimeConnection(std::string name, SwitchEndpoint endpoint);

    const std::string& name() const { return name_; }
    const SwitchEndpoint& endpoint() const { return endpoint_; }
    ::p4::v1::P4Runtime::Stub& stub() { return *stub_; }
    // "switch s1 (127.0.0.1:9559)"
    std::string where() const;
    ::p4::v1::Uint128 election_id() const;

    // Waits (the endpoint's timeout) for the channel to be up: a stream has no deadline, and
    // opening one on a channel still connecting would wait for the connection attempt.
    // RuntimeError naming the switch when it is not.
    void connect();

    // A context whose deadline is the endpoint's timeout from now.
    void set_deadline(grpc::ClientContext& context) const;

    // The error of `rpc` answering `status`: "switch s1 (addr): Write: CODE: message". For
    // a failed batch (UNKNOWN with one p4.v1.Error per update) the first refused update.
    RuntimeError error(const std::string& rpc, const grpc::Status& status) const;

    ::p4::v1::GetForwardingPipelineConfigResponse get_pipeline(
        ::p4::v1::GetForwardingPipelineConfigRequest::ResponseType type);
    std::vector<::p4::v1::Entity> read(const std::vector<::p4::v1::Entity>& entities);
    // The raw answer, for callers that look at the code (UNIMPLEMENTED, ...).
    grpc::Status set_pipeline(::p4::v1::SetForwardingPipelineConfigRequest::Action action,
                              const ::p4::v1::ForwardingPipelineConfig& config);
    // One batch; the answer as it is (the caller decides what a refusal means).
    grpc::Status write(const std::vector<::p4::v1::Update>& updates);

  private:
    // Runs `call` (which makes a fresh context each time) until it is not UNAVAILABLE, a few
    // times with a short pause: only for RPCs that change nothing.
    template <class Call>
    grpc::Status with_retries(Call call) const;

    std::string name_;
    SwitchEndpoint endpoint_;
    std::shared_ptr<grpc::Channel> channel_;
    std::unique_ptr<::p4::v1::P4Runtime::Stub> stub_;
};

// The canonical code of each update of a failed Write (the p4.v1.Error details), in order;
// empty when the failure was RPC-wide (no details).
std::vector<int> update_codes(const grpc::Status& status);

}  // namespace chima::remote::detail
