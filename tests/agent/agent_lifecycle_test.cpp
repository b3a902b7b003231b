// chima-agent's lifecycle and its P4Runtime session rules over real gRPC: it owns the
// switch pipeline on its ports (and removes it on SIGTERM), says how each port delivers,
// serves Capabilities and arbitration, and refuses writes from anyone but the primary.
#include <doctest/doctest.h>

#include <filesystem>

#include "agent_lab.hpp"

using namespace chima::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using grpc::StatusCode;

namespace {

const fs::path kRun = "/tmp/chima-agent-test";

bool tc_attached(const std::string& ifname) {
    auto r = chima::process::run({"tc", "filter", "show", "dev", ifname, "ingress"});
    return r.out.find("bpf") != std::string::npos;
}

}  // namespace

TEST_CASE("agent: owns the switch pipeline on its ports and removes it on SIGTERM") {
    EndpointLab lab;
    {
        AgentProcess agent(switch_args(), kRun);
        const auto& ready = agent.ready();
        REQUIRE(ready.at("switch").at("ports").size() == 2);
        for (const auto& p : ready["switch"]["ports"])
            CHECK(p.at("delivery") == "peer");  // veth ports: straight into the peer
        CHECK(ready["switch"]["adopted"] == false);
        CHECK(fs::exists("/sys/fs/bpf/chima/agent/p4t/switch"));
        CHECK(tc_attached(kPort1));
        CHECK(tc_attached(kPort2));
        // Nothing is forwarded before a controller writes routes: the pipeline is there.
        CHECK_FALSE(lab.ping_a_to_b());
        auto st = agent.stop();
        CHECK_MESSAGE(st.ok(), agent.log());
    }
    CHECK_FALSE(fs::exists("/sys/fs/bpf/chima/agent/p4t"));
    CHECK_FALSE(tc_attached(kPort1));
    CHECK_FALSE(tc_attached(kPort2));
}

TEST_CASE("agent: bad flags are refused before anything is touched") {
    auto run = [](std::vector<std::string> args) {
        std::vector<std::string> argv = {agent_binary()};
        argv.insert(argv.end(), args.begin(), args.end());
        chima::process::Spec spec;
        spec.argv = argv;
        spec.env = {{"CHIMA_RUN_DIR", kRun.string()}};
        return chima::process::run(spec, 20s);
    };
    // Not loopback and no TLS: exit 2, no pins made.
    auto r = run(switch_args({}, "0.0.0.0:0"));
    CHECK(r.status.code == 2);
    CHECK(r.err.find("TLS") != std::string::npos);
    CHECK_FALSE(fs::exists("/sys/fs/bpf/chima/agent/p4t"));
    CHECK(run({"--name", "p4t", "--switch"}).status.code == 2);  // no ports
    CHECK(run({"--name", "p4t"}).status.code == 2);              // no role
    CHECK(run({"--name", "Bad Name", "--switch", "--ports", "x"}).status.code == 2);
    CHECK(run(switch_args({"--tls-cert", "/nonexistent"})).status.code == 2);
    // A port that does not exist: a runtime failure, and nothing left behind.
    auto missing = run({"--name", "p4t", "--switch", "--ports", "p4t-none", "--listen", ":0"});
    CHECK(missing.status.code == 1);
    CHECK_FALSE(fs::exists("/sys/fs/bpf/chima/agent/p4t/switch"));
}

TEST_CASE("agent: Capabilities, arbitration of two clients, and who may write") {
    EndpointLab lab;
    AgentProcess agent(switch_args({"--device-id", "7"}), kRun);
    auto stub = p4runtime_stub(agent.p4runtime_port());

    grpc::ClientContext c0;
    ::p4::v1::CapabilitiesRequest creq;
    ::p4::v1::CapabilitiesResponse cresp;
    REQUIRE(stub->Capabilities(&c0, creq, &cresp).ok());
    CHECK(cresp.p4runtime_api_version().rfind("1.", 0) == 0);

    // No config yet: Get answers OK with the config unset.
    {
        grpc::ClientContext c;
        ::p4::v1::GetForwardingPipelineConfigRequest req;
        req.set_device_id(7);
        ::p4::v1::GetForwardingPipelineConfigResponse resp;
        REQUIRE(stub->GetForwardingPipelineConfig(&c, req, &resp).ok());
        CHECK_FALSE(resp.config().has_p4info());
        grpc::ClientContext c2;
        req.set_device_id(8);
        CHECK(stub->GetForwardingPipelineConfig(&c2, req, &resp).error_code() ==
              StatusCode::NOT_FOUND);
    }

    StreamClient first(*stub, 7, 10);
    auto u = first.next_arbitration();
    REQUIRE(u);
    CHECK(u->status().code() == 0);  // primary
    CHECK(u->election_id().low() == 10);

    StreamClient second(*stub, 7, 5);
    u = second.next_arbitration();
    REQUIRE(u);
    CHECK(u->status().code() == int(StatusCode::ALREADY_EXISTS));  // backup
    CHECK(u->election_id().low() == 10);

    // Same election id as a live client: the stream is ended with INVALID_ARGUMENT.
    {
        StreamClient dup(*stub, 7, 10);
        CHECK(dup.finish().error_code() == StatusCode::INVALID_ARGUMENT);
    }
    // Another device: NOT_FOUND.
    {
        StreamClient other(*stub, 99, 1);
        CHECK(other.finish().error_code() == StatusCode::NOT_FOUND);
    }

    auto write = [&](uint64_t election, uint64_t device = 7) {
        grpc::ClientContext c;
        ::p4::v1::WriteRequest req;
        req.set_device_id(device);
        req.mutable_election_id()->set_low(election);
        ::p4::v1::WriteResponse resp;
        return stub->Write(&c, req, &resp);
    };
    CHECK(write(5).error_code() == StatusCode::PERMISSION_DENIED);  // a backup
    CHECK(write(10, 8).error_code() == StatusCode::NOT_FOUND);      // another device
    // The primary may write, but there is no pipeline config yet.
    CHECK(write(10).error_code() == StatusCode::FAILED_PRECONDITION);

    // A backup's packet is refused on its stream, which stays open.
    ::p4::v1::StreamMessageRequest pkt;
    pkt.mutable_packet()->set_payload("x");
    second.send(pkt);
    auto err = second.next();
    REQUIRE(err);
    REQUIRE(err->has_error());
    CHECK(err->error().canonical_code() == int(StatusCode::PERMISSION_DENIED));

    // The backup takes over with a higher id: both are told.
    ::p4::v1::StreamMessageRequest up;
    up.mutable_arbitration()->set_device_id(7);
    up.mutable_arbitration()->mutable_election_id()->set_low(11);
    second.send(up);
    u = second.next_arbitration();
    REQUIRE(u);
    CHECK(u->status().code() == 0);
    u = first.next_arbitration();
    REQUIRE(u);
    CHECK(u->status().code() == int(StatusCode::ALREADY_EXISTS));
    CHECK(u->election_id().low() == 11);
    CHECK(write(10).error_code() == StatusCode::PERMISSION_DENIED);

    // The primary goes away: the other client learns there is none.
    CHECK(second.finish().ok());
    u = first.next_arbitration();
    REQUIRE(u);
    CHECK(u->status().code() == int(StatusCode::NOT_FOUND));
    CHECK(write(11).error_code() == StatusCode::PERMISSION_DENIED);
}
