// The P4Runtime switch client against a target without RECONCILE_AND_COMMIT (a stand-in
// server in this process: arbitration, Get/SetForwardingPipelineConfig, UNIMPLEMENTED for
// RECONCILE): a slot change falls back to VERIFY_AND_COMMIT, and the config it pushes has
// the P4Info chima-compile writes for the same functions (names and ids).
#include <doctest/doctest.h>

#include <grpcpp/grpcpp.h>

#include <fstream>
#include <iterator>
#include <mutex>
#include <set>

#include "agent_lab.hpp"
#include "chima/deploy/compile_deployment.hpp"
#include "chima/p4/compiler.hpp"
#include "chima/p4/device_config.hpp"
#include "chima/remote/p4runtime_function_info.hpp"
#include "chima/remote/p4runtime_switch.hpp"

using namespace chima;
using namespace chima::test;
using namespace std::chrono_literals;
using Set = ::p4::v1::SetForwardingPipelineConfigRequest;

namespace {

class NoReconcileSwitch final : public ::p4::v1::P4Runtime::Service {
  public:
    grpc::Status StreamChannel(
        grpc::ServerContext*,
        grpc::ServerReaderWriter<::p4::v1::StreamMessageResponse, ::p4::v1::StreamMessageRequest>*
            stream) override {
        ::p4::v1::StreamMessageRequest m;
        while (stream->Read(&m)) {
            if (!m.has_arbitration())
                continue;
            ::p4::v1::StreamMessageResponse r;
            *r.mutable_arbitration() = m.arbitration();
            r.mutable_arbitration()->mutable_status()->set_code(0);
            stream->Write(r);
        }
        return grpc::Status::OK;
    }
    grpc::Status SetForwardingPipelineConfig(
        grpc::ServerContext*, const Set* request,
        ::p4::v1::SetForwardingPipelineConfigResponse*) override {
        std::lock_guard lock(mutex_);
        actions.push_back(request->action());
        if (request->action() == Set::RECONCILE_AND_COMMIT)
            return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "no reconcile here");
        config = request->config();
        return grpc::Status::OK;
    }
    grpc::Status GetForwardingPipelineConfig(
        grpc::ServerContext*, const ::p4::v1::GetForwardingPipelineConfigRequest*,
        ::p4::v1::GetForwardingPipelineConfigResponse* response) override {
        std::lock_guard lock(mutex_);
        if (config.has_p4info())
            *response->mutable_config() = config;
        return grpc::Status::OK;
    }

    std::mutex mutex_;
    std::vector<int> actions;
    ::p4::v1::ForwardingPipelineConfig config;
};

std::set<std::pair<std::string, uint32_t>> names_and_ids(const ::p4::config::v1::P4Info& info) {
    std::set<std::pair<std::string, uint32_t>> out;
    for (const auto& t : info.tables()) {
        out.insert({t.preamble().name(), t.preamble().id()});
        for (const auto& f : t.match_fields())
            out.insert({t.preamble().name() + "/" + f.name(), f.id()});
    }
    for (const auto& a : info.actions()) {
        out.insert({a.preamble().name(), a.preamble().id()});
        for (const auto& p : a.params())
            out.insert({a.preamble().name() + "/" + p.name(), p.id()});
    }
    for (const auto& c : info.counters())
        out.insert({c.preamble().name(), c.preamble().id()});
    for (const auto& r : info.registers())
        out.insert({r.preamble().name(), r.preamble().id()});
    return out;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

TEST_CASE(
    "p4runtime client: without RECONCILE a slot change is a full push of chima-compile's P4Info") {
    NoReconcileSwitch service;
    int port = 0;
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service);
    builder.SetMaxReceiveMessageSize(64 << 20);
    auto server = builder.BuildAndStart();
    REQUIRE(server);

    remote::SwitchEndpoint ep;
    ep.address = "127.0.0.1:" + std::to_string(port);
    ep.timeout = 3000ms;
    ep.template_p4info = remote::p4info_to_json(template_p4info());
    {
        auto sw = remote::open_p4runtime_switch("s9", ep);
        // No config yet: the template alone went in, as a full push.
        CHECK(service.actions == std::vector<int>{Set::VERIFY_AND_COMMIT});

        const char* root = std::getenv("CHIMA_ROOT");
        std::string file = std::string(root ? root : ".") + "/p4/functions/firewall.p4";
        chima::p4::CompileOptions o;
        o.build_dir = "/tmp/chima-agent-test/p4build";
        auto c = chima::p4::compile_function(file, "", o);
        sw->load_function(7, {c.object_path.string(), "", c.p4info, true, {}});
        CHECK(service.actions == std::vector<int>{Set::VERIFY_AND_COMMIT, Set::RECONCILE_AND_COMMIT,
                                                  Set::VERIFY_AND_COMMIT});
        auto merged = merged_p4info({{7, c.control, read_text(file)}});
        CHECK(names_and_ids(service.config.p4info()) == names_and_ids(merged));
        auto device = chima::p4::device_config_from_json(
            nlohmann::json::parse(service.config.p4_device_config()));
        REQUIRE(device.functions.size() == 1);
        CHECK(device.functions[0].slot == 7);
        CHECK(sw->slot_function(7) != 0);

        // An entry that does not fit the function's table: refused, nothing pushed.
        chima::p4::EntrySpec bad;
        bad.table = "acl";
        bad.action = "no_such_action";
        bad.keys.resize(5);
        CHECK_THROWS_AS(sw->load_function(8, {c.object_path.string(), "", c.p4info, true, {bad}}),
                        InputError);
        CHECK(service.actions.size() == 3);

        sw->clear_slot(7);
        CHECK(service.actions.size() == 5);
        CHECK(names_and_ids(service.config.p4info()) == names_and_ids(template_p4info()));
        CHECK(sw->slot_function(7) == 0);
        sw->clear_slot(7);  // nothing to change: nothing pushed
        CHECK(service.actions.size() == 5);
    }
    server->Shutdown(std::chrono::system_clock::now() + 1s);
}
