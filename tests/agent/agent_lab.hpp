// A lab for chima-agent: two endpoint namespaces (a: 10.77.0.1, b: 10.77.0.2) whose eth0
// are veth peers of the switch ports p4t-p1 and p4t-p2 in this namespace, a chima-agent
// started on those ports (P4Runtime on loopback), a gRPC client, and UDP traffic from a to b
// with sequence numbers, to count what is lost.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "chima/net/netns.hpp"
#include "chima/process/child_process.hpp"
#include "p4/v1/p4runtime.grpc.pb.h"
#include "template_p4info.hpp"

namespace chima::test {

inline constexpr const char* kNsA = "p4t-a";
inline constexpr const char* kNsB = "p4t-b";
inline constexpr const char* kPort1 = "p4t-p1";
inline constexpr const char* kPort2 = "p4t-p2";
inline constexpr const char* kIpA = "10.77.0.1";
inline constexpr const char* kIpB = "10.77.0.2";

// The two endpoints and the veths; everything is removed on destruction (and leftovers of
// an earlier run on construction).
class EndpointLab {
  public:
    EndpointLab();
    ~EndpointLab();
    const net::NetNs& a() const { return *a_; }
    const net::NetNs& b() const { return *b_; }
    // Whether a's ping reaches b (one packet, short wait).
    bool ping_a_to_b() const;

  private:
    std::optional<net::NetNs> a_, b_;
};

// Where a's host client is pinned (LabelledFlow).
inline constexpr const char* kClientPins = "/sys/fs/bpf/chima/p4t-client";

// a's host client pushes [function slot, adjacency port 2] on its traffic to b: every
// packet goes through the function in `slot` of the agent's switch.
class LabelledFlow {
  public:
    LabelledFlow(const EndpointLab& lab, uint32_t slot);
    ~LabelledFlow();

  private:
    const EndpointLab& lab_;
};

// chima-agent as a child process; its ready line parsed.
class AgentProcess {
  public:
    // argv after the binary; CHIMA_RUN_DIR is `run_dir`.
    AgentProcess(const std::vector<std::string>& args, const std::filesystem::path& run_dir,
                 const std::string& netns = "");
    ~AgentProcess();
    const nlohmann::json& ready() const { return ready_; }
    uint16_t p4runtime_port() const;
    uint16_t api_port() const;
    // SIGTERM and wait; the exit status.
    process::ExitStatus stop();
    std::string log() const;

  private:
    std::filesystem::path out_, err_;
    std::optional<process::Child> child_;
    nlohmann::json ready_;
};

// The argv of an agent with the switch role on the lab's two ports ("p4t", P4Runtime on a
// free loopback port unless `listen` says otherwise), then `extra`.
std::vector<std::string> switch_args(std::vector<std::string> extra = {},
                                     const std::string& listen = "127.0.0.1:0");

// An HTTP request to the host API from inside `ns` (the API listens on its loopback):
// GET, PUT (JSON body) or DELETE.
httplib::Result host_api_request(const net::NetNs& ns, uint16_t port, const std::string& method,
                                 const std::string& path, const std::string& body = "");

// Where tests find the built tools and objects.
std::string agent_binary();
std::string bpf_object(const std::string& name);  // CHIMA_BPF_DIR/<name>

std::unique_ptr<::p4::v1::P4Runtime::Stub> p4runtime_stub(
    uint16_t port, std::shared_ptr<grpc::ChannelCredentials> creds = nullptr);

// A P4Runtime StreamChannel of one client.
class StreamClient {
  public:
    StreamClient(::p4::v1::P4Runtime::Stub& stub, uint64_t device_id, uint64_t election,
                 const std::string& role = "");
    ~StreamClient();
    // The next arbitration update the server sent (within `limit`), or nullopt.
    std::optional<::p4::v1::MasterArbitrationUpdate> next_arbitration(
        std::chrono::milliseconds limit = std::chrono::seconds(5));
    std::optional<::p4::v1::StreamMessageResponse> next(
        std::chrono::milliseconds limit = std::chrono::seconds(5));
    void send(const ::p4::v1::StreamMessageRequest& m);
    // Closes our side; the server's status.
    grpc::Status finish();
    uint64_t election() const { return election_; }

  private:
    grpc::ClientContext context_;
    std::unique_ptr<
        grpc::ClientReaderWriter<::p4::v1::StreamMessageRequest, ::p4::v1::StreamMessageResponse>>
        stream_;
    uint64_t election_;
    bool finished_ = false;
    std::thread reader_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<::p4::v1::StreamMessageResponse> inbox_;
    bool ended_ = false;
};

// UDP from a to b:port at `rate` packets per second, each carrying a sequence number; b
// counts the distinct numbers it receives.
class UdpStream {
  public:
    UdpStream(const EndpointLab& lab, uint16_t port, unsigned rate);
    ~UdpStream();
    // Stops sending, waits for stragglers, and returns (sent, received).
    std::pair<uint64_t, uint64_t> stop();
    uint64_t received() const { return received_.load(); }
    uint64_t sent() const { return sent_.load(); }

  private:
    int tx_ = -1, rx_ = -1;
    std::atomic<bool> sending_{true}, receiving_{true};
    std::atomic<uint64_t> sent_{0}, received_{0};
    std::thread sender_, receiver_;
};

// Waits until pred() or the limit; returns pred().
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
        if (pred())
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return pred();
}

}  // namespace chima::test

namespace chima::test {

// A P4 function of p4/functions (or any file) compiled into a slot.
struct TestFunction {
    uint32_t slot = 0;
    std::string file;     // its P4 source
    std::string control;  // "" = the file's only control
};

// The config chima-compile would push for a switch running `functions`: the merged
// program's P4Info (names ChimaIngress.functions.fn_<slot>.*) and the device config.
::p4::v1::ForwardingPipelineConfig compiled_pipeline(const std::vector<TestFunction>& functions,
                                                     const std::filesystem::path& build_dir);

// A device config of test functions (bpf/testfn objects, no tables) by slot.
std::string test_device_config(const std::map<uint32_t, std::string>& objects_by_slot);

// A primary client's requests, with its election id filled in.
class Controller {
  public:
    Controller(::p4::v1::P4Runtime::Stub& stub, uint64_t device_id, uint64_t election)
        : stub_(stub),
          device_id_(device_id),
          election_(election),
          stream_(stub, device_id, election) {}
    StreamClient& stream() { return stream_; }
    grpc::Status set_pipeline(::p4::v1::SetForwardingPipelineConfigRequest::Action action,
                              const std::optional<::p4::v1::ForwardingPipelineConfig>& config);
    grpc::Status get_pipeline(::p4::v1::GetForwardingPipelineConfigRequest::ResponseType type,
                              ::p4::v1::ForwardingPipelineConfig& out);
    grpc::Status write(
        const std::vector<::p4::v1::Update>& updates,
        ::p4::v1::WriteRequest::Atomicity atomicity = ::p4::v1::WriteRequest::CONTINUE_ON_ERROR);
    grpc::Status read(const std::vector<::p4::v1::Entity>& entities,
                      std::vector<::p4::v1::Entity>& out);

  private:
    ::p4::v1::P4Runtime::Stub& stub_;
    uint64_t device_id_, election_;
    StreamClient stream_;
};

// The p4.v1.Error of each update in a failed Write's details.
std::vector<::p4::v1::Error> write_errors(const grpc::Status& status);

}  // namespace chima::test
