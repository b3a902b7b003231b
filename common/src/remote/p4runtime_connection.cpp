#include "p4runtime_connection.hpp"

#include <spdlog/spdlog.h>

#include <fstream>
#include <iterator>
#include <thread>

#include "google/rpc/status.pb.h"

namespace chima::remote::detail {

namespace {

using grpc::StatusCode;

// How often an idempotent RPC is tried while the server answers UNAVAILABLE, and the pause
// before the next try (doubled each time): a restarting agent is back within this.
constexpr int kAttempts = 4;
constexpr std::chrono::milliseconds kFirstPause{100};

std::string read_pem(const std::string& path, const char* what) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw InputError("cannot read the TLS " + std::string(what) + " " + path);
    return {std::istreambuf_iterator<char>(in), {}};
}

std::shared_ptr<grpc::ChannelCredentials> credentials(const SwitchEndpoint& e) {
    if (!e.tls)
        return grpc::InsecureChannelCredentials();
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = read_pem(e.tls->ca, "CA");
    if (!e.tls->cert.empty() || !e.tls->key.empty()) {
        o.pem_cert_chain = read_pem(e.tls->cert, "certificate");
        o.pem_private_key = read_pem(e.tls->key, "key");
    }
    return grpc::SslCredentials(o);
}

}  // namespace

std::string status_code_name(int code) {
    static const char* const names[] = {"OK",
                                        "CANCELLED",
                                        "UNKNOWN",
                                        "INVALID_ARGUMENT",
                                        "DEADLINE_EXCEEDED",
                                        "NOT_FOUND",
                                        "ALREADY_EXISTS",
                                        "PERMISSION_DENIED",
                                        "RESOURCE_EXHAUSTED",
                                        "FAILED_PRECONDITION",
                                        "ABORTED",
                                        "OUT_OF_RANGE",
                                        "UNIMPLEMENTED",
                                        "INTERNAL",
                                        "UNAVAILABLE",
                                        "DATA_LOSS",
                                        "UNAUTHENTICATED"};
    if (code >= 0 && code < static_cast<int>(std::size(names)))
        return names[code];
    return "code " + std::to_string(code);
}

std::vector<int> update_codes(const grpc::Status& status) {
    std::vector<int> out;
    google::rpc::Status details;
    if (status.error_details().empty() || !details.ParseFromString(status.error_details()))
        return out;
    for (const auto& any : details.details()) {
        ::p4::v1::Error e;
        out.push_back(any.UnpackTo(&e) ? e.canonical_code() : int(StatusCode::UNKNOWN));
    }
    return out;
}

P4RuntimeConnection::P4RuntimeConnection(std::string name, SwitchEndpoint endpoint)
    : name_(std::move(name)), endpoint_(std::move(endpoint)) {
    if (endpoint_.address.empty())
        throw InputError("switch " + name_ + ": no P4Runtime address");
    grpc::ChannelArguments args;
    // A pipeline config carries BPF objects; a failed batch's details can be long.
    args.SetMaxReceiveMessageSize(128 << 20);
    args.SetMaxSendMessageSize(128 << 20);
    args.SetInt(GRPC_ARG_MAX_METADATA_SIZE, 1 << 20);
    channel_ = grpc::CreateCustomChannel(endpoint_.address, credentials(endpoint_), args);
    stub_ = ::p4::v1::P4Runtime::NewStub(channel_);
}

std::string P4RuntimeConnection::where() const {
    return "switch " + name_ + " (" + endpoint_.address + ")";
}

::p4::v1::Uint128 P4RuntimeConnection::election_id() const {
    ::p4::v1::Uint128 id;
    id.set_high(endpoint_.election_id_high);
    id.set_low(endpoint_.election_id_low);
    return id;
}

void P4RuntimeConnection::connect() {
    if (!channel_->WaitForConnected(std::chrono::system_clock::now() + endpoint_.timeout))
        throw RuntimeError(where() + ": no connection within " +
                           std::to_string(endpoint_.timeout.count()) +
                           " ms (is a P4Runtime server listening there, with this TLS?)");
}

void P4RuntimeConnection::set_deadline(grpc::ClientContext& context) const {
    context.set_deadline(std::chrono::system_clock::now() + endpoint_.timeout);
}

RuntimeError P4RuntimeConnection::error(const std::string& rpc, const grpc::Status& status) const {
    std::string answer = status_code_name(status.error_code()) + ": " + status.error_message();
    google::rpc::Status details;
    if (status.error_code() == StatusCode::UNKNOWN && !status.error_details().empty() &&
        details.ParseFromString(status.error_details())) {
        for (int i = 0; i < details.details_size(); ++i) {
            ::p4::v1::Error e;
            if (details.details(i).UnpackTo(&e) && e.canonical_code() != 0 &&
                e.canonical_code() != int(StatusCode::ABORTED)) {
                answer = "update " + std::to_string(i + 1) + " of " +
                         std::to_string(details.details_size()) + ": " +
                         status_code_name(e.canonical_code()) + ": " + e.message();
                break;
            }
        }
    }
    if (status.error_code() == StatusCode::DEADLINE_EXCEEDED)
        answer += " (no answer within " + std::to_string(endpoint_.timeout.count()) + " ms)";
    return RuntimeError(where() + ": " + rpc + ": " + answer);
}

template <class Call>
grpc::Status P4RuntimeConnection::with_retries(Call call) const {
    auto pause = kFirstPause;
    grpc::Status s;
    for (int attempt = 1; attempt <= kAttempts; ++attempt) {
        s = call();
        if (s.error_code() != StatusCode::UNAVAILABLE || attempt == kAttempts)
            break;
        spdlog::debug("{}: UNAVAILABLE, trying again in {} ms", where(), pause.count());
        std::this_thread::sleep_for(pause);
        pause *= 2;
    }
    return s;
}

::p4::v1::GetForwardingPipelineConfigResponse P4RuntimeConnection::get_pipeline(
    ::p4::v1::GetForwardingPipelineConfigRequest::ResponseType type) {
    ::p4::v1::GetForwardingPipelineConfigRequest request;
    request.set_device_id(endpoint_.device_id);
    request.set_response_type(type);
    ::p4::v1::GetForwardingPipelineConfigResponse response;
    auto s = with_retries([&] {
        grpc::ClientContext context;
        set_deadline(context);
        response.Clear();
        return stub_->GetForwardingPipelineConfig(&context, request, &response);
    });
    if (!s.ok())
        throw error("GetForwardingPipelineConfig", s);
    return response;
}

std::vector<::p4::v1::Entity> P4RuntimeConnection::read(
    const std::vector<::p4::v1::Entity>& entities) {
    ::p4::v1::ReadRequest request;
    request.set_device_id(endpoint_.device_id);
    for (const auto& e : entities)
        *request.add_entities() = e;
    std::vector<::p4::v1::Entity> out;
    auto s = with_retries([&] {
        out.clear();
        grpc::ClientContext context;
        set_deadline(context);
        auto reader = stub_->Read(&context, request);
        ::p4::v1::ReadResponse response;
        while (reader->Read(&response))
            for (auto& e : *response.mutable_entities())
                out.push_back(std::move(e));
        return reader->Finish();
    });
    if (!s.ok())
        throw error("Read", s);
    return out;
}

grpc::Status P4RuntimeConnection::set_pipeline(
    ::p4::v1::SetForwardingPipelineConfigRequest::Action action,
    const ::p4::v1::ForwardingPipelineConfig& config) {
    ::p4::v1::SetForwardingPipelineConfigRequest request;
    request.set_device_id(endpoint_.device_id);
    *request.mutable_election_id() = election_id();
    request.set_action(action);
    *request.mutable_config() = config;
    ::p4::v1::SetForwardingPipelineConfigResponse response;
    grpc::ClientContext context;
    set_deadline(context);
    return stub_->SetForwardingPipelineConfig(&context, request, &response);
}

grpc::Status P4RuntimeConnection::write(const std::vector<::p4::v1::Update>& updates) {
    ::p4::v1::WriteRequest request;
    request.set_device_id(endpoint_.device_id);
    *request.mutable_election_id() = election_id();
    for (const auto& u : updates)
        *request.add_updates() = u;
    ::p4::v1::WriteResponse response;
    grpc::ClientContext context;
    set_deadline(context);
    return stub_->Write(&context, request, &response);
}

}  // namespace chima::remote::detail
