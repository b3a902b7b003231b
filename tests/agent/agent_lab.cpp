#include "agent_lab.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "chima/bpf/host_client.hpp"
#include "chima/deploy/compile_deployment.hpp"
#include "chima/p4/checker.hpp"
#include "chima/p4/compiler.hpp"
#include "chima/p4/device_config.hpp"
#include "chima/p4/p4runtime_info.hpp"
#include "chima/content_hash.hpp"
#include "chima/label_stack.hpp"
#include "chima/segment_id.hpp"
#include "chima/units.hpp"
#include "chima/error.hpp"
#include "chima/net/link.hpp"
#include "chima/net/offloads.hpp"
#include "google/rpc/status.pb.h"

namespace chima::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

void ip(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"ip"};
    argv.insert(argv.end(), args.begin(), args.end());
    process::run_checked(argv);
}

void cleanup() {
    for (const char* ns : {kNsA, kNsB})
        net::NetNs::remove(ns);
    for (const char* port : {kPort1, kPort2})
        process::run({"ip", "link", "del", port});
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

EndpointLab::EndpointLab() {
    cleanup();
    a_.emplace(net::NetNs::create(kNsA));
    b_.emplace(net::NetNs::create(kNsB));
    const std::pair<const char*, const char*> ends[] = {{kNsA, kPort1}, {kNsB, kPort2}};
    const char* ips[] = {kIpA, kIpB};
    for (int i = 0; i < 2; ++i) {
        auto [ns, port] = ends[i];
        ip({"link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns});
        process::run_checked(
            {"sysctl", "-qw", std::string("net.ipv6.conf.") + port + ".disable_ipv6=1"});
        ip({"link", "set", port, "up"});
        ip({"-n", ns, "addr", "add", std::string(ips[i]) + "/24", "dev", "eth0"});
        ip({"-n", ns, "link", "set", "eth0", "up"});
        ip({"-n", ns, "link", "set", "lo", "up"});
        net::disable_offloads(i == 0 ? *a_ : *b_, "eth0");
    }
    // Static neighbours: the switch does not rewrite MACs, and nothing answers ARP.
    ip({"-n", kNsA, "neigh", "replace", kIpB, "lladdr", net::link_info(kNsB, "eth0").mac, "dev",
        "eth0", "nud", "permanent"});
    ip({"-n", kNsB, "neigh", "replace", kIpA, "lladdr", net::link_info(kNsA, "eth0").mac, "dev",
        "eth0", "nud", "permanent"});
}

EndpointLab::~EndpointLab() {
    a_.reset();
    b_.reset();
    cleanup();
}

bool EndpointLab::ping_a_to_b() const {
    auto r = process::run({"ip", "netns", "exec", kNsA, "ping", "-c", "1", "-W", "1", kIpB});
    return r.status.ok();
}

LabelledFlow::LabelledFlow(const EndpointLab& lab, uint32_t slot) : lab_(lab) {
    bpf::HostClient::remove(kClientPins);
    auto client = bpf::HostClient::create(kClientPins);
    lab.a().run([&] { client.attach(static_cast<int>(if_nametoindex("eth0"))); });
    LabelStack stack;
    stack.push_back(SegmentId::function(slot));
    stack.push_back(SegmentId::adjacency(2));
    client.set_flow(*Ipv4::parse(kIpA), *Ipv4::parse(kIpB), stack);
}

LabelledFlow::~LabelledFlow() {
    try {
        auto client = bpf::HostClient::open(kClientPins);
        lab_.a().run([&] { client.detach(static_cast<int>(if_nametoindex("eth0"))); });
    } catch (...) {
    }
    bpf::HostClient::remove(kClientPins);
}

std::vector<std::string> switch_args(std::vector<std::string> extra, const std::string& listen) {
    std::vector<std::string> a = {
        "--name",   "p4t", "--switch", "--ports", std::string(kPort1) + "," + kPort2,
        "--listen", listen};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
}

std::string agent_binary() {
    const char* bin = std::getenv("CHIMA_BIN");
    return std::string(bin ? bin : CHIMA_TEST_BIN_DIR) + "/chima-agent";
}

std::string bpf_object(const std::string& name) {
    const char* dir = std::getenv("CHIMA_BPF_DIR");
    return std::string(dir ? dir : CHIMA_TEST_BPF_DIR) + "/" + name;
}

AgentProcess::AgentProcess(const std::vector<std::string>& args, const fs::path& run_dir,
                           const std::string& netns) {
    fs::create_directories(run_dir);
    out_ = run_dir / "agent.out";
    err_ = run_dir / "agent.err";
    fs::remove(out_);
    process::Spec spec;
    spec.argv = {agent_binary()};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.env = {{"CHIMA_RUN_DIR", run_dir.string()}};
    if (!netns.empty())
        spec.netns_path = "/run/netns/" + netns;
    spec.out = process::Output::append_to(out_.string());
    spec.err = process::Output::append_to(err_.string());
    child_.emplace(process::Child::spawn(spec));
    bool up = eventually(
        [&] {
            std::string text = slurp(out_);
            if (auto nl = text.find('\n'); nl != std::string::npos) {
                ready_ = nlohmann::json::parse(text.substr(0, nl));
                return true;
            }
            return child_->poll().has_value();
        },
        20s);
    if (!up || ready_.is_null())
        throw RuntimeError("chima-agent did not start: " + log());
}

AgentProcess::~AgentProcess() {
    if (child_ && !child_->poll())
        child_->terminate(5s);
}

uint16_t AgentProcess::p4runtime_port() const {
    std::string at = ready_.at("switch").at("listen");
    return static_cast<uint16_t>(std::stoi(at.substr(at.rfind(':') + 1)));
}

uint16_t AgentProcess::api_port() const {
    std::string at = ready_.at("host").at("api");
    return static_cast<uint16_t>(std::stoi(at.substr(at.rfind(':') + 1)));
}

process::ExitStatus AgentProcess::stop() {
    child_->signal(SIGTERM);
    auto st = child_->wait_for(20s);
    if (!st) {
        child_->terminate(1s);
        throw RuntimeError("chima-agent did not stop on SIGTERM: " + log());
    }
    return *st;
}

std::string AgentProcess::log() const {
    return slurp(out_) + slurp(err_);
}

std::unique_ptr<::p4::v1::P4Runtime::Stub> p4runtime_stub(
    uint16_t port, std::shared_ptr<grpc::ChannelCredentials> creds) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(64 << 20);
    auto channel =
        grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port),
                                  creds ? creds : grpc::InsecureChannelCredentials(), args);
    return ::p4::v1::P4Runtime::NewStub(channel);
}

StreamClient::StreamClient(::p4::v1::P4Runtime::Stub& stub, uint64_t device_id, uint64_t election,
                           const std::string& role)
    : election_(election) {
    stream_ = stub.StreamChannel(&context_);
    reader_ = std::thread([this] {
        ::p4::v1::StreamMessageResponse r;
        while (stream_->Read(&r)) {
            std::lock_guard lock(mutex_);
            inbox_.push_back(r);
            cv_.notify_all();
        }
        std::lock_guard lock(mutex_);
        ended_ = true;
        cv_.notify_all();
    });
    ::p4::v1::StreamMessageRequest m;
    auto* a = m.mutable_arbitration();
    a->set_device_id(device_id);
    a->mutable_election_id()->set_low(election);
    if (!role.empty())
        a->mutable_role()->set_name(role);
    send(m);
}

StreamClient::~StreamClient() {
    if (!finished_) {
        context_.TryCancel();
        if (reader_.joinable())
            reader_.join();
    }
}

void StreamClient::send(const ::p4::v1::StreamMessageRequest& m) {
    stream_->Write(m);
}

std::optional<::p4::v1::StreamMessageResponse> StreamClient::next(std::chrono::milliseconds limit) {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, limit, [&] { return !inbox_.empty() || ended_; });
    if (inbox_.empty())
        return std::nullopt;
    auto r = inbox_.front();
    inbox_.pop_front();
    return r;
}

std::optional<::p4::v1::MasterArbitrationUpdate> StreamClient::next_arbitration(
    std::chrono::milliseconds limit) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
        auto r = next(std::chrono::duration_cast<std::chrono::milliseconds>(
            end - std::chrono::steady_clock::now()));
        if (!r)
            return std::nullopt;
        if (r->has_arbitration())
            return r->arbitration();
    }
    return std::nullopt;
}

grpc::Status StreamClient::finish() {
    stream_->WritesDone();
    if (reader_.joinable())
        reader_.join();
    finished_ = true;
    return stream_->Finish();
}

UdpStream::UdpStream(const EndpointLab& lab, uint16_t port, unsigned rate) {
    lab.b().run([&] {
        rx_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_in at{};
        at.sin_family = AF_INET;
        at.sin_port = htons(port);
        inet_pton(AF_INET, kIpB, &at.sin_addr);
        if (bind(rx_, reinterpret_cast<sockaddr*>(&at), sizeof at) != 0)
            throw RuntimeError("bind in b failed");
        timeval tv{0, 100000};
        setsockopt(rx_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        int big = 4 << 20;
        setsockopt(rx_, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
    });
    lab.a().run([&] { tx_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0); });
    receiver_ = std::thread([this] {
        std::vector<bool> seen;
        uint64_t count = 0;
        while (receiving_) {
            uint64_t seq = 0;
            ssize_t n = recv(rx_, &seq, sizeof seq, 0);
            if (n != sizeof seq)
                continue;
            if (seq >= seen.size())
                seen.resize(seq * 2 + 1024);
            if (!seen[seq]) {
                seen[seq] = true;
                received_ = ++count;
            }
        }
    });
    sender_ = std::thread([this, port, rate] {
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(port);
        inet_pton(AF_INET, kIpB, &to.sin_addr);
        auto start = std::chrono::steady_clock::now();
        uint64_t seq = 0;
        while (sending_) {
            auto due = start + std::chrono::nanoseconds(seq * 1000000000ull / rate);
            std::this_thread::sleep_until(due);
            if (sendto(tx_, &seq, sizeof seq, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) ==
                sizeof seq) {
                ++seq;
                sent_ = seq;
            }
        }
    });
}

std::pair<uint64_t, uint64_t> UdpStream::stop() {
    if (sending_) {
        sending_ = false;
        sender_.join();
        std::this_thread::sleep_for(300ms);  // what is in flight arrives
        receiving_ = false;
        receiver_.join();
    }
    return {sent_.load(), received_.load()};
}

UdpStream::~UdpStream() {
    stop();
    close(tx_);
    close(rx_);
}

::p4::v1::ForwardingPipelineConfig compiled_pipeline(const std::vector<TestFunction>& functions,
                                                     const fs::path& build_dir) {
    p4::DeviceConfig c;
    c.template_name = "chima.p4";
    c.template_hash = "0000000000000000";
    std::vector<deploy::InjectedFunction> injected;
    for (const auto& f : functions) {
        p4::CompileOptions o;
        o.build_dir = build_dir;
        auto compiled = p4::compile_function(f.file, f.control, o);
        std::ifstream obj(compiled.object_path, std::ios::binary);
        std::ifstream src(f.file);
        p4::DeviceConfigFunction d;
        d.slot = f.slot;
        d.name = "test/" + compiled.control;
        d.control = compiled.control;
        d.object = std::string{std::istreambuf_iterator<char>(obj), {}};
        d.hash = fnv1a_hex(d.object);
        d.program = compiled.p4info.value("program", "");
        d.p4info = compiled.p4info;
        d.p4runtime_info = p4::p4runtime_info(p4::check_function_file(f.file, f.control), f.slot);
        c.functions.push_back(d);
        injected.push_back(
            {f.slot, compiled.control, std::string{std::istreambuf_iterator<char>(src), {}}});
    }
    ::p4::v1::ForwardingPipelineConfig config;
    *config.mutable_p4info() = merged_p4info(injected);
    config.set_p4_device_config(p4::to_json(c).dump());
    return config;
}

std::string test_device_config(const std::map<uint32_t, std::string>& objects_by_slot) {
    p4::DeviceConfig c;
    c.template_name = "chima.p4";
    c.template_hash = "0000000000000000";
    for (const auto& [slot, name] : objects_by_slot) {
        std::ifstream in(bpf_object(name), std::ios::binary);
        std::string bytes{std::istreambuf_iterator<char>(in), {}};
        if (bytes.empty())
            throw RuntimeError("no test object " + bpf_object(name));
        p4::DeviceConfigFunction f;
        f.slot = slot;
        f.name = "test/fn" + std::to_string(slot);
        f.control = name;
        f.object = bytes;
        f.hash = fnv1a_hex(bytes);
        f.p4info = {{"format", "chima-p4info-1"},
                    {"tables", nlohmann::json::array()},
                    {"actions", nlohmann::json::array()},
                    {"counters", nlohmann::json::array()},
                    {"registers", nlohmann::json::array()}};
        f.p4runtime_info = nlohmann::json::object();  // no P4 entities
        c.functions.push_back(f);
    }
    return p4::to_json(c).dump();
}

grpc::Status Controller::set_pipeline(
    ::p4::v1::SetForwardingPipelineConfigRequest::Action action,
    const std::optional<::p4::v1::ForwardingPipelineConfig>& config) {
    grpc::ClientContext c;
    ::p4::v1::SetForwardingPipelineConfigRequest req;
    req.set_device_id(device_id_);
    req.mutable_election_id()->set_low(election_);
    req.set_action(action);
    if (config)
        *req.mutable_config() = *config;
    ::p4::v1::SetForwardingPipelineConfigResponse resp;
    return stub_.SetForwardingPipelineConfig(&c, req, &resp);
}

grpc::Status Controller::get_pipeline(
    ::p4::v1::GetForwardingPipelineConfigRequest::ResponseType type,
    ::p4::v1::ForwardingPipelineConfig& out) {
    grpc::ClientContext c;
    ::p4::v1::GetForwardingPipelineConfigRequest req;
    req.set_device_id(device_id_);
    req.set_response_type(type);
    ::p4::v1::GetForwardingPipelineConfigResponse resp;
    auto s = stub_.GetForwardingPipelineConfig(&c, req, &resp);
    out = resp.config();
    return s;
}

grpc::Status Controller::write(const std::vector<::p4::v1::Update>& updates,
                               ::p4::v1::WriteRequest::Atomicity atomicity) {
    grpc::ClientContext c;
    ::p4::v1::WriteRequest req;
    req.set_device_id(device_id_);
    req.mutable_election_id()->set_low(election_);
    req.set_atomicity(atomicity);
    for (const auto& u : updates)
        *req.add_updates() = u;
    ::p4::v1::WriteResponse resp;
    return stub_.Write(&c, req, &resp);
}

grpc::Status Controller::read(const std::vector<::p4::v1::Entity>& entities,
                              std::vector<::p4::v1::Entity>& out) {
    grpc::ClientContext c;
    ::p4::v1::ReadRequest req;
    req.set_device_id(device_id_);
    for (const auto& e : entities)
        *req.add_entities() = e;
    auto reader = stub_.Read(&c, req);
    ::p4::v1::ReadResponse resp;
    while (reader->Read(&resp))
        for (const auto& e : resp.entities())
            out.push_back(e);
    return reader->Finish();
}

std::vector<::p4::v1::Error> write_errors(const grpc::Status& status) {
    std::vector<::p4::v1::Error> out;
    google::rpc::Status details;
    if (!details.ParseFromString(status.error_details()))
        return out;
    for (const auto& any : details.details()) {
        ::p4::v1::Error e;
        if (any.UnpackTo(&e))
            out.push_back(e);
    }
    return out;
}

httplib::Result host_api_request(const net::NetNs& ns, uint16_t port, const std::string& method,
                                 const std::string& path, const std::string& body) {
    httplib::Result result{nullptr, httplib::Error::Unknown};
    ns.run([&] {
        httplib::Client c("127.0.0.1", port);
        if (method == "GET")
            result = c.Get(path);
        else if (method == "PUT")
            result = c.Put(path, body, "application/json");
        else if (method == "DELETE")
            result = c.Delete(path);
    });
    return result;
}

}  // namespace chima::test
