// chima-agent's host role on a real host namespace: it owns the host client on the uplink,
// the REST API sets label stacks in the client's map and makes function namespaces, bad
// input changes nothing, and --keep carries the flows through a restart.
#include <doctest/doctest.h>

#include <httplib.h>

#include <filesystem>

#include "agent_lab.hpp"
#include "chima/bpf/host_client.hpp"
#include "chima/net/names.hpp"
#include "chima/net/netns.hpp"
#include "chima/units.hpp"

using namespace chima;
using namespace chima::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const fs::path kRun = "/tmp/chima-agent-test";
const fs::path kHostPins = "/sys/fs/bpf/chima/agent/h1/host";
constexpr const char* kNet = "p4th";
constexpr const char* kUplinkPeer = "p4th-up";

// The host's namespace (named as the emulated network names node h1 of network p4th) with
// its uplink eth0, a veth whose other end stays here.
class HostLab {
  public:
    HostLab() : name_(net::node_netns(kNet, "h1")) {
        cleanup();
        ns_.emplace(net::NetNs::create(name_));
        process::run_checked({"ip", "link", "add", kUplinkPeer, "type", "veth", "peer", "name",
                              "eth0", "netns", name_});
        process::run_checked({"ip", "-n", name_, "link", "set", "eth0", "up"});
        process::run_checked({"ip", "-n", name_, "link", "set", "lo", "up"});
    }
    ~HostLab() {
        ns_.reset();
        cleanup();
    }
    const std::string& name() const { return name_; }
    const net::NetNs& ns() const { return *ns_; }

    // An HTTP request from inside the host's namespace (the API listens on its loopback).
    httplib::Result request(uint16_t port, const std::string& method, const std::string& path,
                            const std::string& body = "") const {
        return host_api_request(*ns_, port, method, path, body);
    }

  private:
    void cleanup() {
        for (const auto& n : net::NetNs::list(net::node_netns(kNet, "")))
            net::NetNs::remove(n);
        process::run({"ip", "link", "del", kUplinkPeer});
    }
    std::string name_;
    std::optional<net::NetNs> ns_;
};

std::vector<std::string> host_args(bool keep = false) {
    std::vector<std::string> a = {"--name", "h1", "--host", "--uplink",   "eth0",
                                  "--net",  kNet, "--api",  "127.0.0.1:0"};
    if (keep)
        a.push_back("--keep");
    return a;
}

std::optional<LabelStack> pinned_flow() {
    return bpf::HostClient::open(kHostPins).flow(*Ipv4::parse("10.0.0.1"),
                                                 *Ipv4::parse("10.0.0.2"));
}

}  // namespace

TEST_CASE("agent host role: flows and function namespaces over REST on the real host client") {
    HostLab host;
    std::optional<AgentProcess> agent;
    agent.emplace(host_args(true), kRun, host.name());
    uint16_t port = agent->api_port();
    CHECK(agent->ready()["host"]["adopted"] == false);
    CHECK(fs::exists(kHostPins));

    // A flow's stack goes into the client's map.
    auto put = host.request(port, "PUT", "/v1/flows/10.0.0.1/10.0.0.2",
                            json{{"labels", {0x40003, 0x80002}}}.dump());
    REQUIRE(put);
    CHECK(put->status == 200);
    auto pinned = pinned_flow();
    REQUIRE(pinned);
    CHECK(pinned->size() == 2);
    auto get = host.request(port, "GET", "/v1/flows/10.0.0.1/10.0.0.2");
    REQUIRE(get);
    CHECK(json::parse(get->body)["labels"] == json{0x40003, 0x80002});

    // A bad stack (a label outside CHIMA's blocks) is refused and changes nothing.
    auto bad = host.request(port, "PUT", "/v1/flows/10.0.0.1/10.0.0.2",
                            json{{"labels", {0x40003, 1}}}.dump());
    REQUIRE(bad);
    CHECK(bad->status == 400);
    CHECK(pinned_flow()->size() == 2);
    CHECK(host.request(port, "GET", "/v1/flows/10.0.0.9/10.0.0.2")->status == 404);

    // A function namespace, made and removed by the host.
    std::string fn_ns = net::node_netns(kNet, "fn-test");
    CHECK(host.request(port, "PUT", "/v1/netns/fn-test")->status == 201);
    CHECK(net::NetNs::exists(fn_ns));
    CHECK(host.request(port, "PUT", "/v1/netns/fn-test")->status == 409);
    CHECK(host.request(port, "DELETE", "/v1/netns/fn-test")->status == 204);
    CHECK_FALSE(net::NetNs::exists(fn_ns));

    // --keep: the client stays with its flows; the next agent adopts it.
    CHECK(agent->stop().ok());
    CHECK(fs::exists(kHostPins));
    REQUIRE(pinned_flow());
    agent.emplace(host_args(), kRun, host.name());
    CHECK(agent->ready()["host"]["adopted"] == true);
    get = host.request(agent->api_port(), "GET", "/v1/flows/10.0.0.1/10.0.0.2");
    REQUIRE(get);
    CHECK(get->status == 200);
    CHECK(agent->stop().ok());
    CHECK_FALSE(fs::exists(kHostPins));  // stopped without --keep: the client is gone
}
