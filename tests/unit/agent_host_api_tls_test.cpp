// The host API with mutual TLS: a test CA, the server's and the clients' certificates made
// with the openssl command line; a client with a certificate the CA signed is served, one
// without a certificate, one with a certificate of another CA and a plaintext client are
// refused (and change nothing).
#include <doctest/doctest.h>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "chima/agent/host_api.hpp"
#include "chima/device/memory_devices.hpp"
#include "chima/error.hpp"
#include "skip.hpp"

using namespace chima;
using namespace chima::agent;
namespace fs = std::filesystem;

namespace {

struct TempDir {
    fs::path path;
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "chima-tls-XXXXXX").string();
        path = ::mkdtemp(tmpl.data());
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

// Runs a shell command in `dir`; true when it succeeded.
bool run_in(const fs::path& dir, const std::string& command) {
    std::string line = "cd '" + dir.string() + "' && " + command + " >>openssl.log 2>&1";
    return std::system(line.c_str()) == 0;
}

// <name>.key and <name>.pem: a P-256 key and its certificate for 127.0.0.1, signed by
// <ca>.pem (a self-signed CA when ca is empty). The address is also the common name:
// cpp-httplib 0.11's client never matches an IP address subjectAltName (it compares the
// address's bytes as a C string) and falls back to the common name.
bool make_certificate(const fs::path& dir, const std::string& name, const std::string& ca) {
    std::string key =
        "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " + name + ".key";
    if (!run_in(dir, key))
        return false;
    if (ca.empty()) {
        return run_in(dir, "openssl req -x509 -new -key " + name + ".key -out " + name +
                               ".pem -days 1 -subj /CN=" + name);
    }
    return run_in(dir, "printf 'subjectAltName=IP:127.0.0.1\\n' >" + name + ".ext") &&
           run_in(dir, "openssl req -new -key " + name + ".key -out " + name +
                           ".csr -subj /CN=127.0.0.1") &&
           run_in(dir, "openssl x509 -req -in " + name + ".csr -CA " + ca + ".pem -CAkey " + ca +
                           ".key -CAcreateserial -days 1 -extfile " + name + ".ext -out " + name +
                           ".pem");
}

struct TlsSetup {
    TempDir tmp;
    bool ok = false;
    TlsSetup() {
        ok = make_certificate(tmp.path, "ca", "") && make_certificate(tmp.path, "server", "ca") &&
             make_certificate(tmp.path, "client", "ca") &&
             make_certificate(tmp.path, "other-ca", "") &&
             make_certificate(tmp.path, "stranger", "other-ca");
    }
    std::string file(const std::string& name) const { return (tmp.path / name).string(); }
    TlsFiles server_files() const {
        return {file("server.pem"), file("server.key"), file("ca.pem")};
    }
};

bool have_openssl() {
    return std::system("openssl version >/dev/null 2>&1") == 0;
}

const std::string kFlow = "/v1/flows/10.0.0.1/10.0.0.2";
const std::string kBody = "{\"labels\": [" + std::to_string(SegmentId::adjacency(1).label()) + "]}";

}  // namespace

TEST_CASE("host API over mutual TLS: only clients with a certificate of its CA are served") {
    if (test::skip_without_dependency(have_openssl(), "the openssl command"))
        return;
    TlsSetup tls;
    REQUIRE(tls.ok);
    device::DeviceJournal journal;
    device::MemoryHost host("h1", journal);
    HostApiServer server(host);
    server.start("127.0.0.1", 0, tls.server_files());

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
    if (test::skip_without_dependency(have_openssl(), "the openssl command"))
        return;
    TlsSetup tls;
    REQUIRE(tls.ok);
    device::DeviceJournal journal;
    device::MemoryHost host("h1", journal);
    HostApiServer server(host);
    auto missing = tls.server_files();
    missing.ca = tls.file("no-such-ca.pem");
    CHECK_THROWS_AS(server.start("127.0.0.1", 0, missing), RuntimeError);
    auto mismatched = tls.server_files();
    mismatched.key = tls.file("client.key");
    CHECK_THROWS_WITH_AS(server.start("127.0.0.1", 0, mismatched), doctest::Contains("client.key"),
                         RuntimeError);
    CHECK(server.port() == 0);
    server.start("127.0.0.1", 0, tls.server_files());
    CHECK(server.port() != 0);
}
