// chima-agent's host role on a machine of its own: no chima-net around it, only a namespace
// standing in for a machine with one NIC (a veth whose other end, the "wire", stays here).
// The agent names its namespace, makes the functions' bridge with the uplink as its port,
// plumbs a function onto it, and the function's traffic leaves on the wire with the label
// stack the API set; stopping removes what the agent made and nothing of the operator's.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <httplib.h>

#include <filesystem>

#include "agent_lab.hpp"
#include "chima/net/link.hpp"
#include "chima/net/netns.hpp"

using namespace chima;
using namespace chima::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const fs::path kRun = "/tmp/chima-agent-own-host-test";
constexpr const char* kMachine = "p4tm-machine";
constexpr const char* kWire = "p4tm-wire";
constexpr const char* kUplink = "up0";
constexpr const char* kBridge = "brf";
constexpr const char* kOwnNetns = "chima-agent.m1";
constexpr const char* kFunctionNetns = "chima-agent.m1.fn-x";
constexpr const char* kFunctionMac = "02:00:00:00:07:05";
constexpr const char* kFunctionIp = "10.78.0.5";
constexpr const char* kPeerIp = "10.78.0.9";
constexpr uint32_t kLabel = 0x40003;

// A "machine": a namespace with one NIC, up and without addresses.
class Machine {
  public:
    Machine() {
        cleanup();
        ns_.emplace(net::NetNs::create(kMachine));
        process::run_checked({"ip", "link", "add", kWire, "type", "veth", "peer", "name", kUplink,
                              "netns", kMachine});
        process::run_checked({"ip", "link", "set", kWire, "up"});
        process::run_checked({"ip", "-n", kMachine, "link", "set", kUplink, "up"});
        process::run_checked({"ip", "-n", kMachine, "link", "set", "lo", "up"});
    }
    ~Machine() {
        ns_.reset();
        cleanup();
    }
    const net::NetNs& ns() const { return *ns_; }

    httplib::Result request(uint16_t port, const std::string& method, const std::string& path,
                            const std::string& body = "") const {
        return host_api_request(*ns_, port, method, path, body);
    }

  private:
    static void cleanup() {
        for (const auto& n : net::NetNs::list("chima-agent.m1"))
            net::NetNs::remove(n);
        net::NetNs::remove(kMachine);
        process::run({"ip", "link", "del", kWire});
        std::error_code ec;
        fs::remove_all("/sys/fs/bpf/chima/agent/m1", ec);
    }
    std::optional<net::NetNs> ns_;
};

std::vector<std::string> own_host_args(std::vector<std::string> extra = {}) {
    std::vector<std::string> a = {"--name", "m1",    "--host",     "--uplink",
                                  kUplink,  "--api", "127.0.0.1:0"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
}

unsigned long inode_of(const std::string& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_ino;
}

// The first MPLS frame from `mac` seen on `ifname` within a second: its label stack's first
// label, or nothing.
std::optional<uint32_t> first_label_from(int fd, const std::string& mac) {
    uint64_t want = Mac::parse(mac)->value;
    for (int i = 0; i < 50; ++i) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 1000) <= 0)
            return std::nullopt;
        uint8_t frame[2048];
        ssize_t n = ::recv(fd, frame, sizeof frame, 0);
        if (n < 18)
            continue;
        uint64_t source = 0;
        for (int b = 6; b < 12; ++b)
            source = (source << 8) | frame[b];
        if (source != want || frame[12] != 0x88 || frame[13] != 0x47)
            continue;
        return (uint32_t(frame[14]) << 12) | (uint32_t(frame[15]) << 4) | (frame[16] >> 4);
    }
    return std::nullopt;
}

}  // namespace

TEST_CASE(
    "agent host role on a machine of its own: named namespace, its own bridge, labels on "
    "the wire") {
    Machine machine;
    std::optional<AgentProcess> agent;
    agent.emplace(own_host_args({"--bridge", kBridge}), kRun, kMachine);
    const json& host = agent->ready()["host"];
    CHECK(host["netns"] == kOwnNetns);
    CHECK(host["bridge"] == kBridge);
    uint16_t port = agent->api_port();

    // Its namespace has a name now, and it is the machine's own.
    REQUIRE(net::NetNs::exists(kOwnNetns));
    CHECK(inode_of(std::string("/run/netns/") + kOwnNetns) ==
          inode_of(std::string("/run/netns/") + kMachine));
    // The bridge it made: the uplink is its port and its MAC the uplink's.
    auto bridge = net::link_info(kMachine, kBridge);
    auto uplink = net::link_info(kMachine, kUplink);
    CHECK(bridge.kind == "bridge");
    CHECK(uplink.master == kBridge);
    CHECK(bridge.mac == uplink.mac);

    // A function namespace beside the host's, and its port on the host's bridge.
    REQUIRE(machine.request(port, "PUT", "/v1/netns/fn-x")->status == 201);
    CHECK(net::NetNs::exists(kFunctionNetns));
    json fn_port = {{"function_id", 7},
                    {"mac", kFunctionMac},
                    {"ip", kFunctionIp},
                    {"neighbours", {{{"ip", kPeerIp}, {"mac", "02:00:00:00:07:09"}}}}};
    auto plumbed = machine.request(port, "PUT", "/v1/netns/fn-x/port", fn_port.dump());
    REQUIRE(plumbed);
    CHECK(plumbed->status == 204);
    CHECK(net::link_info(kMachine, "f7").master == kBridge);

    // The function's flow gets its stack from the host client: seen on the wire.
    auto put = machine.request(port, "PUT", std::string("/v1/flows/") + kFunctionIp + "/" + kPeerIp,
                               json{{"labels", {kLabel}}}.dump());
    REQUIRE(put);
    CHECK(put->status == 200);
    int capture = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
    REQUIRE(capture >= 0);
    sockaddr_ll at{};
    at.sll_family = AF_PACKET;
    at.sll_protocol = htons(ETH_P_ALL);
    at.sll_ifindex = static_cast<int>(if_nametoindex(kWire));
    REQUIRE(::bind(capture, reinterpret_cast<sockaddr*>(&at), sizeof at) == 0);
    net::NetNs::open(kFunctionNetns).run([] {
        int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(9000);
        ::inet_pton(AF_INET, kPeerIp, &to.sin_addr);
        const char payload[] = "own host";
        ::sendto(s, payload, sizeof payload, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
        ::close(s);
    });
    auto label = first_label_from(capture, kFunctionMac);
    ::close(capture);
    REQUIRE(label);
    CHECK(*label == kLabel);

    // Stopped without --keep: the client, the namespace's name and the bridge it made go;
    // the machine and its NIC stay.
    REQUIRE(machine.request(port, "DELETE", "/v1/netns/fn-x")->status == 204);
    CHECK(agent->stop().ok());
    CHECK_FALSE(net::NetNs::exists(kOwnNetns));
    CHECK_FALSE(net::link_exists(kMachine, kBridge));
    CHECK(net::link_info(kMachine, kUplink).master.empty());
    CHECK_FALSE(fs::exists("/sys/fs/bpf/chima/agent/m1/host"));
    CHECK(net::NetNs::exists(kMachine));
}

TEST_CASE("agent host role on a machine of its own: --keep, and the operator's bridge") {
    Machine machine;
    // The operator's bridge, with the uplink its port.
    process::run_checked({"ip", "-n", kMachine, "link", "add", kBridge, "type", "bridge"});
    process::run_checked({"ip", "-n", kMachine, "link", "set", kUplink, "master", kBridge});
    std::optional<AgentProcess> agent;
    agent.emplace(own_host_args({"--bridge", kBridge, "--keep"}), kRun, kMachine);
    REQUIRE(machine
                .request(agent->api_port(), "PUT",
                         std::string("/v1/flows/") + kFunctionIp + "/" + kPeerIp,
                         json{{"labels", {kLabel}}}.dump())
                ->status == 200);
    CHECK(agent->stop().ok());
    // Kept: the name stays for the next agent, which adopts it with the client's flows.
    CHECK(net::NetNs::exists(kOwnNetns));
    agent.emplace(own_host_args({"--bridge", kBridge}), kRun, kMachine);
    CHECK(agent->ready()["host"]["adopted"] == true);
    auto get = machine.request(agent->api_port(), "GET",
                               std::string("/v1/flows/") + kFunctionIp + "/" + kPeerIp);
    REQUIRE(get);
    CHECK(get->status == 200);
    CHECK(agent->stop().ok());
    // The operator's bridge is the operator's.
    CHECK(net::link_exists(kMachine, kBridge));
    CHECK(net::link_info(kMachine, kUplink).master == kBridge);
    CHECK_FALSE(net::NetNs::exists(kOwnNetns));
}

TEST_CASE(
    "agent host role on a machine of its own: a bridge it cannot make is refused before "
    "anything changes") {
    Machine machine;
    process::run_checked({"ip", "-n", kMachine, "address", "add", "10.78.0.1/24", "dev", kUplink});
    process::Spec spec;
    spec.argv = {agent_binary()};
    auto args = own_host_args({"--bridge", kBridge});
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.netns_path = std::string("/run/netns/") + kMachine;
    auto r = process::run(spec);
    CHECK(r.status.code == 2);
    CHECK(r.err.find("10.78.0.1/24") != std::string::npos);
    CHECK_FALSE(net::link_exists(kMachine, kBridge));
    CHECK_FALSE(net::NetNs::exists(kOwnNetns));
    CHECK_FALSE(fs::exists("/sys/fs/bpf/chima/agent/m1/host"));

    // A bridge that the uplink is not a port of.
    process::run_checked({"ip", "-n", kMachine, "link", "add", kBridge, "type", "bridge"});
    r = process::run(spec);
    CHECK(r.status.code == 2);
    CHECK(r.err.find("not a port of it") != std::string::npos);
    CHECK_FALSE(net::NetNs::exists(kOwnNetns));
}
