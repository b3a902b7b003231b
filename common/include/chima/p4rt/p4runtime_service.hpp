// The P4Runtime v1 service of chima-agent's switch role over the eBPF switch pipeline of
// this node: Capabilities, StreamChannel (arbitration), Set/GetForwardingPipelineConfig,
// Write and Read. What it does not serve (packet I/O, digests, action profiles, meters,
// PRE, value sets, externs) answers UNIMPLEMENTED. docs/architecture.md, "P4Runtime view of
// the eBPF switch", maps the P4 entities onto the pipeline's maps.
//
//   bpf::SwitchPipeline pipeline = ...;                 // owned by the agent
//   P4RuntimeService service(pipeline, {.device_id = 1, .object_dir = dir});
//   grpc::ServerBuilder b; b.RegisterService(&service); ...
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "chima/bpf/switch_pipeline.hpp"
#include "chima/p4rt/arbitration.hpp"
#include "chima/p4rt/device_config.hpp"
#include "chima/p4rt/entities.hpp"
#include "p4/v1/p4runtime.grpc.pb.h"

namespace chima::p4rt {

struct ServiceOptions {
    uint64_t device_id = 1;
    std::filesystem::path object_dir;  // where a pushed BPF object is written for its load
    size_t read_batch = 1000;          // entities per ReadResponse message
};

class P4RuntimeService final : public ::p4::v1::P4Runtime::Service {
  public:
    P4RuntimeService(bpf::SwitchPipeline& pipeline, ServiceOptions options);
    ~P4RuntimeService() override;

    grpc::Status Capabilities(grpc::ServerContext*, const ::p4::v1::CapabilitiesRequest*,
                              ::p4::v1::CapabilitiesResponse*) override;
    grpc::Status StreamChannel(grpc::ServerContext*,
                               grpc::ServerReaderWriter<::p4::v1::StreamMessageResponse,
                                                        ::p4::v1::StreamMessageRequest>*) override;
    grpc::Status SetForwardingPipelineConfig(
        grpc::ServerContext*, const ::p4::v1::SetForwardingPipelineConfigRequest*,
        ::p4::v1::SetForwardingPipelineConfigResponse*) override;
    grpc::Status GetForwardingPipelineConfig(
        grpc::ServerContext*, const ::p4::v1::GetForwardingPipelineConfigRequest*,
        ::p4::v1::GetForwardingPipelineConfigResponse*) override;
    grpc::Status Write(grpc::ServerContext*, const ::p4::v1::WriteRequest*,
                       ::p4::v1::WriteResponse*) override;
    grpc::Status Read(grpc::ServerContext*, const ::p4::v1::ReadRequest*,
                      grpc::ServerWriter<::p4::v1::ReadResponse>*) override;

    // Warm restart: what a restarted agent needs to adopt the running pipeline (the
    // committed config and the entries' shadow), and taking it back. restore() touches no
    // map and no slot: the data plane keeps forwarding as it was.
    nlohmann::json save_state() const;
    void restore_state(const nlohmann::json& state);

    // Ends every open stream (the server is shutting down).
    void shutdown_streams();

  private:
    struct Committed {
        ::p4::v1::ForwardingPipelineConfig config;
        DeviceConfig device;
    };
    // VERIFY_AND_SAVE: the config and the shadow of its forwarding state, which the writes
    // made until COMMIT go to (and reads answer from).
    struct Saved {
        Committed config;
        std::unique_ptr<Entities> entities;
    };
    class StreamOut;

    grpc::Status verify(const ::p4::v1::ForwardingPipelineConfig& config,
                        DeviceConfig& device) const;
    void commit(const ::p4::v1::ForwardingPipelineConfig& config, DeviceConfig device,
                bool reconcile);
    void commit_saved();
    void restore_committed(const nlohmann::json& shadow, const std::set<uint32_t>& fresh);
    void load_function(const DeviceFunction& f, const bpf::SwitchPipeline::MapsReady& fill = {});
    // The entities writes and reads refer to: the saved config's while there is one.
    Entities& current_entities() { return saved_ ? *saved_->entities : entities_; }
    void deliver(std::vector<Notice>& notices);
    grpc::Status check_device(uint64_t device_id) const;
    // A Write or SetForwardingPipelineConfig: this device, from the role's primary.
    template <class Request>
    grpc::Status check_primary(const Request& request) const;

    bpf::SwitchPipeline& pipeline_;
    ServiceOptions options_;

    mutable std::mutex mutex_;  // config, entities, arbitration
    Arbitration arbitration_;
    Entities entities_;
    std::optional<Committed> committed_;
    std::optional<Saved> saved_;  // VERIFY_AND_SAVE, waiting for COMMIT

    std::mutex streams_mutex_;
    std::map<StreamId, std::shared_ptr<StreamOut>> streams_;
    std::atomic<StreamId> next_stream_{1};
};

}  // namespace chima::p4rt
