// The HostDevice over chima-agent's host API (chima/remote/http_host.hpp) against the real
// server (agent::HostApiServer) over an in-memory host on 127.0.0.1: every operation
// round-trips and the memory host shows it; errors name the device, the address and the
// agent's answer with the promised exception type; deadlines, retries of idempotent calls
// only, kept-alive connections (against a scripted server, FakeAgent); mutual TLS with the
// test PKI; health events through the agent's event stream, also after it reopens.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "chima/agent/host_api.hpp"
#include "chima/device/memory_devices.hpp"
#include "chima/error.hpp"
#include "chima/remote/http_host.hpp"
#include "chima/unique_fd.hpp"
#include "skip.hpp"
#include "test_pki.hpp"

using namespace chima;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

const Ipv4 kSrc = *Ipv4::parse("10.0.0.1");
const Ipv4 kDst = *Ipv4::parse("10.0.0.2");

LabelStack stack_of(std::initializer_list<SegmentId> sids) {
    LabelStack s;
    for (const auto& sid : sids)
        s.push_back(sid);
    return s;
}

// doctest's Contains takes its own string type.
doctest::Contains contains(const std::string& text) {
    return doctest::Contains(text.c_str());
}

std::string address_of(uint16_t port) {
    return "127.0.0.1:" + std::to_string(port);
}

// An agent serving the memory host h1 on 127.0.0.1, and a remote device of it.
struct Agent {
    device::DeviceJournal journal;
    device::MemoryHost host{"h1", journal};
    agent::HostApiServer server{host, options()};
    remote::HostEndpoint endpoint;
    std::unique_ptr<device::HostDevice> device;

    explicit Agent(std::optional<remote::TlsFiles> server_tls = std::nullopt) {
        server.start("127.0.0.1", 0, server_tls);
        endpoint.address = address_of(server.port());
        endpoint.stream_idle = 2s;
        if (!server_tls)
            device = remote::open_remote_host("h1", endpoint);
    }
    static agent::HostApiOptions options() {
        agent::HostApiOptions o;
        o.keepalive = 50ms;  // a dead event stream is noticed soon
        return o;
    }
    std::string prefix(const std::string& request) const {
        return "host h1 (" + endpoint.address + "): " + request + ": ";
    }
};

container::FunctionSpec function_spec(const std::string& name, const std::string& netns) {
    container::FunctionSpec spec;
    spec.name = name;
    spec.image = "memory/echo";
    spec.args = {"--port", "7"};
    spec.env = {{"CHIMA_FN", "echo"}};
    spec.labels = {{"chima.function", "echo"}, {"app", "lab"}};
    spec.netns = netns;
    spec.capabilities = {"NET_RAW"};
    return spec;
}

// A server that answers what a test scripts, per request: an answer (kept alive), closing
// the connection without one, holding it open without answering, or an event stream (its
// chunks, then nothing). Each connection is served by a thread of its own. It counts the
// connections it accepted and keeps the request lines it read.
class FakeAgent {
  public:
    struct Reply {
        enum Kind { Answer, Drop, Hang, Stream } kind = Answer;
        int status = 200;
        std::string body = "{}";
        std::chrono::milliseconds delay{0};  // before the answer (a stream: before its chunks)
        std::vector<std::string> chunks;     // of a stream
    };
    // connection: 0 for the first accepted; request: its request line ("GET /v1/host HTTP/1.1")
    using Script = std::function<Reply(int connection, const std::string& request)>;

    explicit FakeAgent(Script script) : script_(std::move(script)) {
        listener_ = UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        REQUIRE(::listen(listener_.get(), 16) == 0);
        socklen_t len = sizeof addr;
        ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        int fds[2];
        REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
        wake_read_ = UniqueFd(fds[0]);
        wake_write_ = UniqueFd(fds[1]);
        thread_ = std::thread([this] { serve(); });
    }
    ~FakeAgent() {
        (void)!::write(wake_write_.get(), "x", 1);
        thread_.join();
        for (auto& t : connections_threads_)
            t.join();
    }
    uint16_t port() const { return port_; }
    int connections() const { return connections_; }
    int requests() const {
        std::lock_guard lock(mutex_);
        return static_cast<int>(requests_.size());
    }
    // The requests whose line starts with `start`.
    int requests(const std::string& start) const {
        std::lock_guard lock(mutex_);
        return static_cast<int>(std::count_if(requests_.begin(), requests_.end(),
                                              [&](const auto& r) { return r.starts_with(start); }));
    }

  private:
    // Waits for `fd` to be readable; false when the fake is stopping.
    bool wait_readable(int fd) {
        pollfd fds[2] = {{fd, POLLIN, 0}, {wake_read_.get(), POLLIN, 0}};
        ::poll(fds, 2, -1);
        return (fds[1].revents & POLLIN) == 0;
    }
    void serve() {
        while (wait_readable(listener_.get())) {
            int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
            if (fd < 0)
                continue;
            int connection = connections_++;
            connections_threads_.emplace_back([this, fd, connection] {
                UniqueFd conn(fd);
                serve_connection(conn.get(), connection);
            });
        }
    }
    // Reads until the client closes the connection (or the fake stops).
    void drain(int fd) {
        char data[4096];
        while (wait_readable(fd) && ::read(fd, data, sizeof data) > 0) {
        }
    }
    bool write_all(int fd, const std::string& text) {
        return ::send(fd, text.data(), text.size(), MSG_NOSIGNAL) ==
               static_cast<ssize_t>(text.size());
    }
    // Requests on one connection until the client closes it or a reply ends it.
    void serve_connection(int fd, int connection) {
        std::string buffer;
        auto read_more = [&] {
            char data[4096];
            if (!wait_readable(fd))
                return false;
            ssize_t n = ::read(fd, data, sizeof data);
            if (n <= 0)
                return false;
            buffer.append(data, static_cast<size_t>(n));
            return true;
        };
        for (;;) {
            size_t end;
            while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
                if (!read_more())
                    return;
            }
            std::string head = buffer.substr(0, end);
            size_t length = 0;
            if (auto at = head.find("Content-Length: "); at != std::string::npos)
                length = std::stoul(head.substr(at + 16));
            while (buffer.size() < end + 4 + length) {
                if (!read_more())
                    return;
            }
            buffer.erase(0, end + 4 + length);
            std::string line = head.substr(0, head.find("\r\n"));
            {
                std::lock_guard lock(mutex_);
                requests_.push_back(line);
            }
            Reply reply = script_(connection, line);
            if (reply.kind == Reply::Drop)
                return;
            if (reply.kind == Reply::Hang)
                return drain(fd);
            if (reply.kind == Reply::Stream) {
                write_all(
                    fd,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nX-Chima-Stream: "
                    "7\r\nTransfer-Encoding: chunked\r\n\r\n");
                std::this_thread::sleep_for(reply.delay);
                for (const auto& chunk : reply.chunks) {
                    char size[16];
                    std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
                    write_all(fd, size + chunk + "\r\n");
                    std::this_thread::sleep_for(5ms);  // chunks arrive apart
                }
                return drain(fd);
            }
            std::this_thread::sleep_for(reply.delay);
            std::string answer = "HTTP/1.1 " + std::to_string(reply.status) +
                                 " Scripted\r\nContent-Type: application/json\r\nContent-Length: " +
                                 std::to_string(reply.body.size()) + "\r\n\r\n" + reply.body;
            if (!write_all(fd, answer))
                return;
        }
    }

    Script script_;
    UniqueFd listener_, wake_read_, wake_write_;
    uint16_t port_ = 0;
    std::atomic<int> connections_{0};
    mutable std::mutex mutex_;
    std::vector<std::string> requests_;
    std::vector<std::thread> connections_threads_;  // joined when the fake goes
    std::thread thread_;
};

// A port nothing listens on (bound once to find a free one, then closed).
uint16_t closed_port() {
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len);
    return ntohs(addr.sin_port);
}

std::string flow_answer(const LabelStack& stack) {
    std::string labels;
    for (const auto& s : stack.segments())
        labels += (labels.empty() ? "" : ",") + std::to_string(s.label());
    return R"({"src": "10.0.0.1", "dst": "10.0.0.2", "labels": [)" + labels + "]}";
}

std::string instance_answer(const std::string& name) {
    return R"({"name": ")" + name +
           R"(", "id": "x", "image": "i", "state": "running", "pid": 0, "exit_code": -1,)"
           R"( "labels": {}})";
}

// Health events a sink received, waited for.
class EventLog {
  public:
    container::HealthWatcher::Sink sink() {
        return [this](const container::HealthEvent& e) {
            std::lock_guard lock(mutex_);
            events_.push_back(e);
            changed_.notify_all();
        };
    }
    std::vector<container::HealthEvent> wait_for(size_t count,
                                                 std::chrono::milliseconds wait = 10s) {
        std::unique_lock lock(mutex_);
        changed_.wait_for(lock, wait, [&] { return events_.size() >= count; });
        return events_;
    }

  private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<container::HealthEvent> events_;
};

}  // namespace

TEST_CASE("remote host: flows and neighbours round-trip through the agent") {
    Agent agent;
    auto& h1 = *agent.device;
    CHECK(h1.name() == "h1");
    CHECK_FALSE(h1.flow(kSrc, kDst).has_value());

    auto first = stack_of({SegmentId::function(3), SegmentId::adjacency(2)});
    h1.set_flow(kSrc, kDst, first);
    CHECK(agent.host.flow(kSrc, kDst) == first);
    CHECK(h1.flow(kSrc, kDst) == first);
    auto second = stack_of({SegmentId::adjacency(1), SegmentId::function_end(4)});
    h1.set_flow(kSrc, kDst, second);
    CHECK(agent.host.flow(kSrc, kDst) == second);

    h1.delete_flow(kSrc, kDst);
    CHECK_FALSE(agent.host.flow(kSrc, kDst).has_value());
    CHECK_FALSE(h1.flow(kSrc, kDst).has_value());
    h1.delete_flow(kSrc, kDst);  // not managed: no error

    std::vector<device::Neighbour> neighbours = {
        {*Ipv4::parse("10.0.0.5"), *Mac::parse("02:00:00:00:00:05")},
        {*Ipv4::parse("10.0.0.6"), *Mac::parse("02:00:00:00:00:06")}};
    h1.add_neighbours(neighbours);
    auto stored = agent.host.neighbours();
    REQUIRE(stored.size() == 2);
    CHECK(stored[1].ip == neighbours[1].ip);
    CHECK(stored[1].mac == neighbours[1].mac);
    CHECK(agent.journal.index_of("h1 set_flow 10.0.0.1>10.0.0.2") <
          agent.journal.index_of("h1 delete_flow 10.0.0.1>10.0.0.2"));
}

TEST_CASE("remote host: function namespaces, ports and serving round-trip through the agent") {
    Agent agent;
    auto& h1 = *agent.device;
    CHECK_FALSE(h1.has_function_netns("fn-c-echo"));
    h1.create_function_netns("fn-c-echo");
    CHECK(agent.host.function_netns().count("fn-c-echo") == 1);
    CHECK(h1.has_function_netns("fn-c-echo"));

    device::FunctionPort port;
    port.netns = "fn-c-echo";
    port.function_id = 7;
    port.alternate = true;
    port.mac = *Mac::parse("02:00:00:00:01:07");
    port.ip = *Ipv4::parse("10.0.1.7");
    port.neighbours = {{*Ipv4::parse("10.0.1.1"), *Mac::parse("02:00:00:00:01:01")}};
    h1.plumb_function_port(port);
    auto ports = agent.host.function_ports("fn-c-echo");
    REQUIRE(ports.size() == 1);
    CHECK(ports[0].function_id == 7);
    CHECK(ports[0].alternate);
    CHECK(ports[0].mac == port.mac);
    CHECK(ports[0].ip == port.ip);
    REQUIRE(ports[0].neighbours.size() == 1);
    CHECK(ports[0].neighbours[0].mac == port.neighbours[0].mac);

    // The memory host serves once an instance runs in the namespace.
    CHECK_FALSE(h1.wait_serving("fn-c-echo", 7, 0ms));
    agent.host.start_function("podman", function_spec("chima-lab-c-echo", "fn-c-echo"));
    CHECK(h1.wait_serving("fn-c-echo", 7, 100ms));

    h1.remove_function_netns("fn-c-echo");
    CHECK(agent.host.function_netns().empty());
    CHECK_FALSE(h1.has_function_netns("fn-c-echo"));
    h1.remove_function_netns("fn-c-echo");  // idempotent
}

TEST_CASE("remote host: backends, images and container functions round-trip through the agent") {
    Agent agent;
    auto& h1 = *agent.device;
    h1.prepare_backend("podman");
    auto image = h1.ensure_image("podman", {"echo", "/srv/functions/echo"});
    CHECK(image.ref == agent.host.ensure_image("podman", {"echo", "/srv/functions/echo"}).ref);

    h1.create_function_netns("fn-c-echo");
    auto spec = function_spec("chima-lab-c-echo", "fn-c-echo");
    auto started = h1.start_function("podman", spec);
    CHECK(started.name == spec.name);
    CHECK(started.state == container::State::Running);
    CHECK(agent.host.running() == std::set<std::string>{spec.name});
    CHECK(agent.journal.index_of("h1 start chima-lab-c-echo") >= 0);

    auto inspected = h1.inspect_function("podman", spec.name);
    CHECK(inspected.id == started.id);
    CHECK(inspected.labels == spec.labels);
    CHECK(inspected.image == spec.image);

    auto listed = h1.list_functions("podman", "app", "lab");
    REQUIRE(listed.size() == 1);
    CHECK(listed[0].name == spec.name);
    CHECK(h1.list_functions("podman", "app", "other").empty());
    CHECK(h1.list_functions("podman", "chima.function", "").size() == 1);

    h1.stop_function("podman", spec.name);
    CHECK(agent.host.running().empty());
    auto gone = h1.inspect_function("podman", spec.name);
    CHECK(gone.state == container::State::Missing);
    CHECK(gone.name == spec.name);
}

TEST_CASE("remote host: a refusal names the device, the address, the request and the answer") {
    Agent agent;
    auto& h1 = *agent.device;
    h1.create_function_netns("fn-c-echo");
    CHECK_THROWS_WITH_AS(
        h1.create_function_netns("fn-c-echo"),
        (agent.prefix("PUT /v1/netns/fn-c-echo") + "409 netns: function namespace fn-c-echo exists")
            .c_str(),
        RuntimeError);

    // The agent's 400: bad input, an InputError, and nothing changed.
    auto before = agent.journal.entries();
    CHECK_THROWS_WITH_AS(h1.create_function_netns("Not A Name"),
                         contains(agent.prefix("PUT /v1/netns/Not%20A%20Name") + "400 netns: "),
                         InputError);
    CHECK_THROWS_WITH_AS(h1.prepare_backend("lxc"),
                         contains("400 kind: unknown container backend 'lxc'"), InputError);
    CHECK(agent.journal.entries() == before);

    device::FunctionPort port;
    port.netns = "fn-missing";
    port.mac = *Mac::parse("02:00:00:00:01:07");
    port.ip = *Ipv4::parse("10.0.1.7");
    CHECK_THROWS_WITH_AS(h1.plumb_function_port(port),
                         contains(agent.prefix("PUT /v1/netns/fn-missing/port") + "404 "),
                         RuntimeError);

    // The device refuses: the agent's 502 carries its message.
    agent.journal.fail_next("h1 start ");
    try {
        h1.start_function("podman", function_spec("chima-lab-c-echo", "fn-c-echo"));
        FAIL("the start should have failed");
    } catch (const InputError&) {
        FAIL("a device's refusal is not bad input");
    } catch (const RuntimeError& e) {
        std::string what = e.what();
        CHECK(what.starts_with(agent.prefix("POST /v1/backends/podman/functions") + "502 "));
        CHECK(what.find("h1 start chima-lab-c-echo") != std::string::npos);
    }
    CHECK(agent.host.running().empty());
}

TEST_CASE("remote host: a bad endpoint is refused before anything is sent") {
    for (const auto* address : {"127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", ":9560", "::1:9560",
                                "host/x:9560", "127.0.0.1:95a"}) {
        CAPTURE(address);
        remote::HostEndpoint endpoint;
        endpoint.address = address;
        CHECK_THROWS_WITH_AS(remote::open_remote_host("h1", endpoint),
                             contains(std::string("host h1: agent address '") + address),
                             InputError);
    }
    remote::HostEndpoint endpoint;
    endpoint.address = "[::1]:9560";
    CHECK(remote::open_remote_host("h1", endpoint) != nullptr);
    endpoint.tls =
        remote::TlsFiles{"/nonexistent/client.pem", "/nonexistent/client.key", "/etc/hostname"};
    CHECK_THROWS_WITH_AS(remote::open_remote_host("h1", endpoint),
                         contains("/nonexistent/client.pem"), InputError);
    endpoint.tls = remote::TlsFiles{"", "", ""};
    CHECK_THROWS_AS(remote::open_remote_host("h1", endpoint), InputError);
}

TEST_CASE("remote host: an agent that is not there fails the call at once, naming its address") {
    remote::HostEndpoint endpoint;
    endpoint.address = address_of(closed_port());
    auto h1 = remote::open_remote_host("h1", endpoint);
    auto start = Clock::now();
    CHECK_THROWS_WITH_AS(h1->flow(kSrc, kDst),
                         contains("host h1 (" + endpoint.address +
                                  "): GET /v1/flows/10.0.0.1/10.0.0.2: cannot reach the "
                                  "agent: "),
                         RuntimeError);
    // Refused connections are retried (a GET), briefly: far from the call's 5 s deadline.
    CHECK(Clock::now() - start < endpoint.timeout / 2);
    CHECK_THROWS_WITH_AS(h1->flow(kSrc, kDst), contains("(3 attempts)"), RuntimeError);
}

TEST_CASE("remote host: an agent that accepts but never answers fails the call at its deadline") {
    FakeAgent silent(
        [](int, const std::string&) { return FakeAgent::Reply{FakeAgent::Reply::Hang}; });
    remote::HostEndpoint endpoint;
    endpoint.address = address_of(silent.port());
    endpoint.timeout = 300ms;
    auto h1 = remote::open_remote_host("h1", endpoint);
    auto start = Clock::now();
    CHECK_THROWS_WITH_AS(h1->has_function_netns("fn-c-echo"),
                         contains("cannot reach the agent: no answer within 300 ms"), RuntimeError);
    auto took = Clock::now() - start;
    CHECK(took >= 250ms);  // it waited for the answer (less a rounding of the deadline)
    CHECK(took < 300ms + 2s);
    // The hung connection is not tried again: the deadline covers the retries too.
    CHECK(silent.requests() == 1);
}

TEST_CASE("remote host: wait_serving's deadline is its own limit plus the call's timeout") {
    // The agent answers a serving query after 400 ms, as one that waited that long.
    FakeAgent slow([](int, const std::string&) {
        return FakeAgent::Reply{FakeAgent::Reply::Answer, 200, R"({"serving": true})", 400ms};
    });
    remote::HostEndpoint endpoint;
    endpoint.address = address_of(slow.port());
    endpoint.timeout = 200ms;
    auto h1 = remote::open_remote_host("h1", endpoint);
    CHECK(h1->wait_serving("fn-c-echo", 7, 300ms));
    CHECK_THROWS_WITH_AS(h1->wait_serving("fn-c-echo", 7, 0ms), contains("no answer within 200 ms"),
                         RuntimeError);
}

TEST_CASE("remote host: an idempotent call is retried after a dropped connection, a POST is not") {
    // The first connection closes without an answer; the next ones are answered.
    auto stack = stack_of({SegmentId::adjacency(3)});
    auto drop_first = [&](int connection, const std::string& request) {
        if (connection == 0)
            return FakeAgent::Reply{FakeAgent::Reply::Drop};
        if (request.starts_with("POST"))
            return FakeAgent::Reply{FakeAgent::Reply::Answer, 201, instance_answer("fn-a")};
        return FakeAgent::Reply{FakeAgent::Reply::Answer, 200, flow_answer(stack)};
    };
    {
        FakeAgent flaky(drop_first);
        remote::HostEndpoint endpoint;
        endpoint.address = address_of(flaky.port());
        auto h1 = remote::open_remote_host("h1", endpoint);
        CHECK(h1->flow(kSrc, kDst) == stack);
        CHECK(flaky.requests() == 2);
        CHECK(flaky.connections() == 2);
    }
    {
        FakeAgent flaky(drop_first);
        remote::HostEndpoint endpoint;
        endpoint.address = address_of(flaky.port());
        auto h1 = remote::open_remote_host("h1", endpoint);
        container::FunctionSpec spec;
        spec.name = "fn-a";
        spec.image = "memory/echo";
        CHECK_THROWS_WITH_AS(h1->start_function("process", spec),
                             contains("(not retried: the request is not idempotent)"),
                             RuntimeError);
        CHECK(flaky.requests() == 1);
        // The next call opens a new connection and is answered.
        CHECK(h1->start_function("process", spec).name == "fn-a");
        CHECK(flaky.requests() == 2);
    }
    {
        // Every connection dropped: a bounded number of attempts.
        FakeAgent dead(
            [](int, const std::string&) { return FakeAgent::Reply{FakeAgent::Reply::Drop}; });
        remote::HostEndpoint endpoint;
        endpoint.address = address_of(dead.port());
        endpoint.attempts = 4;
        auto h1 = remote::open_remote_host("h1", endpoint);
        CHECK_THROWS_WITH_AS(h1->delete_flow(kSrc, kDst), contains("(4 attempts)"), RuntimeError);
        CHECK(dead.requests() == 4);
    }
}

TEST_CASE("remote host: calls from several threads share kept-alive connections") {
    auto stack = stack_of({SegmentId::adjacency(3)});
    FakeAgent agent([&](int, const std::string&) {
        return FakeAgent::Reply{FakeAgent::Reply::Answer, 200, flow_answer(stack)};
    });
    remote::HostEndpoint endpoint;
    endpoint.address = address_of(agent.port());
    auto h1 = remote::open_remote_host("h1", endpoint);
    for (int i = 0; i < 10; ++i)
        CHECK(h1->flow(kSrc, kDst) == stack);
    CHECK(agent.requests() == 10);
    CHECK(agent.connections() == 1);

    // Against the real agent, from 4 threads at once.
    Agent real;
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (uint32_t t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (uint32_t i = 0; i < 25; ++i) {
                Ipv4 src{0x0a000100 + t * 100 + i};
                try {
                    real.device->set_flow(src, kDst, stack);
                    if (real.device->flow(src, kDst) != stack)
                        ++failures;
                } catch (const std::exception&) {
                    ++failures;
                }
            }
        });
    }
    for (auto& t : threads)
        t.join();
    CHECK(failures == 0);
    CHECK(real.journal.matching("h1 set_flow ").size() == 100);
}

TEST_CASE("remote host over mutual TLS: verified both ways with the test PKI") {
    test::TestPki pki;
    if (test::skip_without_dependency(pki.ok, "the openssl command"))
        return;
    Agent agent(
        remote::TlsFiles{pki.file("server.pem"), pki.file("server.key"), pki.file("ca.pem")});
    auto endpoint = agent.endpoint;
    endpoint.attempts = 1;
    endpoint.tls =
        remote::TlsFiles{pki.file("client.pem"), pki.file("client.key"), pki.file("ca.pem")};
    auto stack = stack_of({SegmentId::adjacency(2)});
    auto h1 = remote::open_remote_host("h1", endpoint);
    h1->set_flow(kSrc, kDst, stack);
    CHECK(agent.host.flow(kSrc, kDst) == stack);
    CHECK(h1->flow(kSrc, kDst) == stack);

    auto refused = [&](remote::TlsFiles files, const std::string& address) {
        auto e = endpoint;
        e.tls = files;
        e.address = address;
        auto device = remote::open_remote_host("h1", e);
        try {
            device->delete_flow(kSrc, kDst);
            FAIL("the TLS connection should have been refused");
        } catch (const RuntimeError& e) {
            std::string what = e.what();
            CHECK(what.starts_with("host h1 (" + address + "): DELETE /v1/flows/"));
            CHECK(what.find("certificate") != std::string::npos);  // why it failed
        }
    };
    // No client certificate, one of another CA: the agent refuses them.
    refused({"", "", pki.file("ca.pem")}, endpoint.address);
    refused({pki.file("stranger.pem"), pki.file("stranger.key"), pki.file("ca.pem")},
            endpoint.address);
    // The agent's certificate is not trusted: another CA, or a name it is not issued for
    // (it names 127.0.0.1, not localhost).
    refused({pki.file("client.pem"), pki.file("client.key"), pki.file("other-ca.pem")},
            endpoint.address);
    refused({pki.file("client.pem"), pki.file("client.key"), pki.file("ca.pem")},
            "localhost:" + std::to_string(agent.server.port()));
    // Plain HTTP to a TLS agent is no answer either.
    auto plain = endpoint;
    plain.tls.reset();
    CHECK_THROWS_AS(remote::open_remote_host("h1", plain)->delete_flow(kSrc, kDst), RuntimeError);
    CHECK(agent.host.flow(kSrc, kDst) == stack);
}

TEST_CASE("remote host: health events arrive from the agent's event stream") {
    Agent agent;
    agent.host.start_function("podman", function_spec("fn-a", ""));
    agent.host.start_function("podman", function_spec("fn-b", ""));
    EventLog log;
    auto watcher = agent.device->watch_health("podman", log.sink());
    watcher->watch("fn-a", container::RestartPolicy::OnFailure);
    watcher->watch("fn-b", container::RestartPolicy::Never);
    CHECK_THROWS_WITH_AS(watcher->watch("fn-none", container::RestartPolicy::Never),
                         contains("404 instance: no instance fn-none"), RuntimeError);

    agent.host.exit_function("fn-a", 3);
    auto events = log.wait_for(2);
    REQUIRE(events.size() == 2);
    CHECK(events[0].type == "exited");
    CHECK(events[0].name == "fn-a");
    CHECK(events[0].backend == "podman");
    CHECK(events[0].exit_code == 3);
    CHECK(events[1].type == "restarted");  // the agent was told the policy
    CHECK(events[1].name == "fn-a");
    CHECK(events[1].id != events[0].id);

    watcher->unwatch("fn-b");
    agent.host.exit_function("fn-b", 1);
    agent.host.exit_function("fn-a", 0);
    events = log.wait_for(3);
    REQUIRE(events.size() == 3);
    CHECK(events[2].name == "fn-a");
    CHECK(events[2].exit_code == 0);
    CHECK(log.wait_for(4, 200ms).size() == 3);  // nothing of fn-b, unwatched

    // A backend the agent does not know: refused as bad input when the stream opens.
    CHECK_THROWS_WITH_AS(agent.device->watch_health("lxc", log.sink()),
                         contains(agent.prefix("GET /v1/backends/lxc/events") + "400 kind"),
                         InputError);
}

TEST_CASE("remote host: the event stream is opened again when the agent comes back") {
    Agent agent;
    agent.host.start_function("podman", function_spec("fn-a", ""));
    agent.host.start_function("podman", function_spec("fn-b", ""));
    EventLog log;
    auto watcher = agent.device->watch_health("podman", log.sink());
    watcher->watch("fn-a", container::RestartPolicy::Never);
    watcher->watch("fn-b", container::RestartPolicy::Never);

    // The agent goes: its watches go with the stream. fn-b exits while nobody watches.
    uint16_t port = agent.server.port();
    agent.server.stop();
    agent.host.exit_function("fn-b", 5);
    CHECK(log.wait_for(1, 300ms).empty());
    agent.server.start("127.0.0.1", port, std::nullopt);

    // Back: the watcher tells the new stream its watches; the exit it missed is reported
    // with the code the agent has, and fn-a is watched again.
    auto events = log.wait_for(1);
    REQUIRE(events.size() == 1);
    CHECK(events[0].type == "exited");
    CHECK(events[0].name == "fn-b");
    CHECK(events[0].exit_code == 5);
    // fn-a is watched on the new stream once the watcher told it (the missed exit is
    // reported after that).
    agent.host.exit_function("fn-a", 2);
    events = log.wait_for(2);
    REQUIRE(events.size() == 2);
    CHECK(events[1].name == "fn-a");
    CHECK(events[1].exit_code == 2);
}

TEST_CASE("remote host: an agent that cannot be reached refuses a health watch at once") {
    remote::HostEndpoint endpoint;
    endpoint.address = address_of(closed_port());
    auto h1 = remote::open_remote_host("h1", endpoint);
    EventLog log;
    CHECK_THROWS_WITH_AS(h1->watch_health("podman", log.sink()),
                         contains("host h1 (" + endpoint.address +
                                  "): GET /v1/backends/podman/events: cannot reach"),
                         RuntimeError);
}

TEST_CASE("remote host: a silent event stream is opened again and told its watches again") {
    // The first stream brings a keepalive line and one event split across chunks, then
    // nothing; every later stream brings nothing.
    std::atomic<int> streams{0};
    FakeAgent agent([&](int, const std::string& request) {
        if (!request.starts_with("GET /v1/backends/podman/events"))
            return FakeAgent::Reply{FakeAgent::Reply::Answer, 204, ""};
        FakeAgent::Reply stream{FakeAgent::Reply::Stream};
        stream.delay = 200ms;  // after the test's watch
        if (streams++ == 0)
            stream.chunks = {
                "\n", R"({"type": "exited", "name": "fn-a", "backend": "podman", "id": "c1",)",
                R"( "pid": 0, "exit_code": 3, "detect_ms": 0.5, "time_ns": 1})"
                "\n\n"};
        return stream;
    });
    remote::HostEndpoint endpoint;
    endpoint.address = address_of(agent.port());
    endpoint.stream_idle = 300ms;
    auto h1 = remote::open_remote_host("h1", endpoint);
    EventLog log;
    auto watcher = h1->watch_health("podman", log.sink());
    watcher->watch("fn-a", container::RestartPolicy::OnFailure);
    CHECK(agent.requests("PUT /v1/events/7/watches/fn-a ") == 1);

    auto events = log.wait_for(1);
    REQUIRE(events.size() == 1);
    CHECK(events[0].type == "exited");
    CHECK(events[0].exit_code == 3);
    CHECK(events[0].detect_ns == 500000);

    // Silent for longer than stream_idle: opened again, and the watch (on-failure after a
    // failure: the agent would restart it) told to the new stream.
    auto deadline = Clock::now() + 5s;
    while (agent.requests("PUT /v1/events/7/watches/fn-a ") < 2 && Clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    CHECK(agent.requests("GET /v1/backends/podman/events ") >= 2);
    CHECK(agent.requests("PUT /v1/events/7/watches/fn-a ") >= 2);
    CHECK(log.wait_for(2, 100ms).size() == 1);

    // Unwatched: the agent is told, and the next stream is not.
    watcher->unwatch("fn-a");
    CHECK(agent.requests("DELETE /v1/events/7/watches/fn-a ") == 1);
}
