// P4Runtime over mutual TLS: a client with a certificate the CA signed is served; one
// without a certificate, one signed by another CA, and a plaintext one are refused.
#include <doctest/doctest.h>

#include "agent_lab.hpp"
#include "skip.hpp"
#include "test_pki.hpp"

using namespace chima::test;
using namespace std::chrono_literals;

namespace {

bool capabilities(::p4::v1::P4Runtime::Stub& stub) {
    grpc::ClientContext c;
    c.set_deadline(std::chrono::system_clock::now() + 3s);
    ::p4::v1::CapabilitiesRequest req;
    ::p4::v1::CapabilitiesResponse resp;
    return stub.Capabilities(&c, req, &resp).ok();
}

std::shared_ptr<grpc::ChannelCredentials> tls_client(const TestPki& pki, const std::string& who) {
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = pki.read("ca.pem");
    if (!who.empty()) {
        o.pem_private_key = pki.read(who + ".key");
        o.pem_cert_chain = pki.read(who + ".pem");
    }
    return grpc::SslCredentials(o);
}

}  // namespace

TEST_CASE("agent: P4Runtime with mutual TLS refuses clients without a CA-signed certificate") {
    TestPki pki;
    if (skip_without_dependency(pki.ok, "the openssl command"))
        return;
    EndpointLab lab;
    AgentProcess agent(switch_args({"--tls-cert", pki.file("server.pem"), "--tls-key",
                                    pki.file("server.key"), "--tls-ca", pki.file("ca.pem")}),
                       "/tmp/chima-agent-test");
    CHECK(agent.ready()["switch"]["tls"] == true);
    uint16_t port = agent.p4runtime_port();
    CHECK(capabilities(*p4runtime_stub(port, tls_client(pki, "client"))));
    CHECK_FALSE(capabilities(*p4runtime_stub(port, tls_client(pki, ""))));
    CHECK_FALSE(capabilities(*p4runtime_stub(port, tls_client(pki, "stranger"))));
    CHECK_FALSE(capabilities(*p4runtime_stub(port)));  // plaintext
}
