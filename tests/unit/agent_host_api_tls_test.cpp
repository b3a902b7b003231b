// The host API with mutual TLS, certificates of a test CA (tests/support/test_pki.hpp): a
// client with a certificate the CA signed is served; one without a certificate, one with a
// certificate of another CA and a plaintext client are refused (and change nothing).
#include <doctest/doctest.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <string>

#include "chima/agent/host_api.hpp"
#include "chima/device/memory_devices.hpp"
#include "chima/error.hpp"
#include "skip.hpp"
#include "test_pki.hpp"

using namespace chima;
using namespace chima::agent;

namespace {

TlsFiles server_files(const test::TestPki& pki) {
    return {pki.file("server.pem"), pki.file("server.key"), pki.file("ca.pem")};
}

const std::string kFlow = "/v1/flows/10.0.0.1/10.0.0.2";
const std::string kBody = "{\"labels\": [" + std::to_string(SegmentId::adjacency(1).label()) + "]}";

}  // namespace

TEST_CASE("host API over mutual TLS: only clients with a certificate of its CA are served") {
    test::TestPki tls;
    if (test::skip_without_dependency(tls.ok, "the openssl command"))
        return;
    device::DeviceJournal journal;
    device::MemoryHost host("h1", journal);
    HostApiServer server(host);
    server.start("127.0.0.1", 0, server_files(tls));

    // A client with a certificate the CA signed, checking the server's against the same CA.
    httplib::SSLClient good("127.0.0.1", server.port(), tls.file("client.pem"),
                            tls.file("client.key"));
    good.set_ca_cert_path(tls.file("ca.pem").c_str());
    good.enable_server_certificate_verification(true);
    auto res = good.Get("/v1/host");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(nlohmann::json::parse(res->body)["name"] == "h1");

    auto before = journal.entries();
    httplib::SSLClient anonymous("127.0.0.1", server.port());
    anonymous.set_ca_cert_path(tls.file("ca.pem").c_str());
    anonymous.enable_server_certificate_verification(true);
    CHECK_FALSE(anonymous.Put(kFlow.c_str(), kBody, "application/json"));

    httplib::SSLClient stranger("127.0.0.1", server.port(), tls.file("stranger.pem"),
                                tls.file("stranger.key"));
    stranger.enable_server_certificate_verification(false);
    CHECK_FALSE(stranger.Put(kFlow.c_str(), kBody, "application/json"));

    httplib::Client plaintext("127.0.0.1", server.port());
    auto plain = plaintext.Put(kFlow.c_str(), kBody, "application/json");
    CHECK_FALSE(plain);
    CHECK(journal.entries() == before);
    CHECK_FALSE(host.flow(*Ipv4::parse("10.0.0.1"), *Ipv4::parse("10.0.0.2")).has_value());

    // The good client still is.
    res = good.Put(kFlow.c_str(), kBody, "application/json");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(host.flow(*Ipv4::parse("10.0.0.1"), *Ipv4::parse("10.0.0.2")).has_value());
}

TEST_CASE("host API over TLS: unreadable or mismatched TLS files fail the start") {
    test::TestPki tls;
    if (test::skip_without_dependency(tls.ok, "the openssl command"))
        return;
    device::DeviceJournal journal;
    device::MemoryHost host("h1", journal);
    HostApiServer server(host);
    auto missing = server_files(tls);
    missing.ca = tls.file("no-such-ca.pem");
    CHECK_THROWS_AS(server.start("127.0.0.1", 0, missing), RuntimeError);
    auto mismatched = server_files(tls);
    mismatched.key = tls.file("client.key");
    CHECK_THROWS_WITH_AS(server.start("127.0.0.1", 0, mismatched), doctest::Contains("client.key"),
                         RuntimeError);
    CHECK(server.port() == 0);
    server.start("127.0.0.1", 0, server_files(tls));
    CHECK(server.port() != 0);
}
