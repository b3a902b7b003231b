// chima-agent's host API over HTTP, with a real HTTP client: every endpoint against the
// in-memory host (chima/device/memory_devices.hpp), every error status, the body size
// limit, bad input changing nothing (the journal shows no device call), and the event
// stream delivering the exit and the restart of a real process.
#include <doctest/doctest.h>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "chima/agent/host_api.hpp"
#include "chima/remote/host_api_json.hpp"
#include "chima/device/memory_devices.hpp"
#include "chima/error.hpp"

using namespace chima;
using namespace chima::agent;
using namespace chima::remote;
using nlohmann::json;

namespace {

// A backend whose instances are forked processes, so that a HealthWatcher sees real exits.
class ChildBackend : public container::Backend {
  public:
    ~ChildBackend() override {
        for (auto& [name, child] : children_)
            reap(child, SIGKILL);
    }
    std::string_view kind() const override { return "process"; }
    container::Image ensure_image(const container::ImageSpec&) override { return {}; }
    container::Instance run(const container::FunctionSpec& spec) override {
        return start(spec.name);
    }
    container::Instance start(const std::string& name) override {
        std::lock_guard lock(mutex_);
        // posix_spawn: a signal sent at once finds the child with default handlers, never
        // running the test's own (as a forked copy of the test would).
        pid_t pid = 0;
        char arg0[] = "sleep", arg1[] = "600";
        char* argv[] = {arg0, arg1, nullptr};
        if (::posix_spawn(&pid, "/bin/sleep", nullptr, nullptr, argv, environ) != 0)
            throw RuntimeError("cannot spawn /bin/sleep");
        children_[name] = {pid, false, -1};
        return inspect_locked(name);
    }
    void remove(const std::string& name) override {
        std::lock_guard lock(mutex_);
        if (auto it = children_.find(name); it != children_.end()) {
            reap(it->second, SIGKILL);
            children_.erase(it);
        }
    }
    std::vector<container::Instance> list(const std::string&, const std::string&) override {
        return {};
    }
    container::Instance inspect(const std::string& name) override {
        std::lock_guard lock(mutex_);
        return inspect_locked(name);
    }
    pid_t pid_of(const std::string& name) {
        std::lock_guard lock(mutex_);
        return children_.at(name).pid;
    }

  private:
    struct Child {
        pid_t pid;
        bool exited;
        int code;
    };
    static void reap(Child& c, int sig) {
        if (c.exited)
            return;
        ::kill(c.pid, sig);
        int status = 0;
        ::waitpid(c.pid, &status, 0);
        c.exited = true;
    }
    container::Instance inspect_locked(const std::string& name) {
        container::Instance inst;
        inst.name = name;
        auto it = children_.find(name);
        if (it == children_.end())
            return inst;
        auto& c = it->second;
        int status = 0;
        if (!c.exited && ::waitpid(c.pid, &status, WNOHANG) == c.pid) {
            c.exited = true;
            c.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        inst.id = "pid:" + std::to_string(c.pid);
        inst.state = c.exited ? container::State::Exited : container::State::Running;
        inst.pid = c.exited ? 0 : c.pid;
        inst.exit_code = c.code;
        return inst;
    }

    std::mutex mutex_;
    std::map<std::string, Child> children_;
};

// The memory host, with functions of kind "process" run by ChildBackend (whose health can
// be watched) and a "docker" backend that cannot work here.
class TestHost final : public device::HostDevice {
  public:
    explicit TestHost(device::DeviceJournal& journal) : memory_("h1", journal) {}
    const std::string& name() const override { return memory_.name(); }
    void set_flow(Ipv4 s, Ipv4 d, const LabelStack& l) override { memory_.set_flow(s, d, l); }
    void delete_flow(Ipv4 s, Ipv4 d) override { memory_.delete_flow(s, d); }
    std::optional<LabelStack> flow(Ipv4 s, Ipv4 d) const override { return memory_.flow(s, d); }
    void add_neighbours(const std::vector<device::Neighbour>& n) override {
        memory_.add_neighbours(n);
    }
    bool has_function_netns(const std::string& n) const override {
        return memory_.has_function_netns(n);
    }
    void create_function_netns(const std::string& n) override { memory_.create_function_netns(n); }
    void plumb_function_port(const device::FunctionPort& p) override {
        memory_.plumb_function_port(p);
    }
    void remove_function_netns(const std::string& n) override { memory_.remove_function_netns(n); }
    bool wait_serving(const std::string& n, uint16_t p,
                      std::chrono::milliseconds l) const override {
        return memory_.wait_serving(n, p, l);
    }
    void prepare_backend(const std::string& kind) override {
        if (kind == "docker")
            throw RuntimeError("no Docker engine answers");
    }
    container::Image ensure_image(const std::string& k, const container::ImageSpec& i) override {
        return memory_.ensure_image(k, i);
    }
    container::Instance start_function(const std::string& k,
                                       const container::FunctionSpec& s) override {
        return k == "process" ? children.run(s) : memory_.start_function(k, s);
    }
    void stop_function(const std::string& k, const std::string& i) override {
        k == "process" ? children.remove(i) : memory_.stop_function(k, i);
    }
    container::Instance inspect_function(const std::string& k, const std::string& i) override {
        return k == "process" ? children.inspect(i) : memory_.inspect_function(k, i);
    }
    std::vector<container::Instance> list_functions(const std::string& k, const std::string& key,
                                                    const std::string& value) override {
        return memory_.list_functions(k, key, value);
    }
    std::unique_ptr<container::HealthWatcher> watch_health(
        const std::string& k, container::HealthWatcher::Sink sink) override {
        if (k != "process")  // the device refuses: the stream answers 502
            throw RuntimeError("no " + k + " engine here whose instances could be watched");
        return std::make_unique<container::PidfdHealthWatcher>(children, std::move(sink));
    }

    ChildBackend children;

  private:
    device::MemoryHost memory_;
};

HostApiOptions test_options() {
    HostApiOptions o;
    o.max_body_bytes = 4096;
    o.keepalive = std::chrono::milliseconds(50);
    o.max_event_streams = 1;
    return o;
}

struct Api {
    device::DeviceJournal journal;
    TestHost host{journal};
    HostApiServer server{host, test_options()};
    std::unique_ptr<httplib::Client> client;

    Api() {
        server.start("127.0.0.1", 0, std::nullopt);
        client = std::make_unique<httplib::Client>("127.0.0.1", server.port());
        client->set_read_timeout(std::chrono::seconds(10));
    }
    httplib::Result put(const std::string& path, const json& body) {
        return client->Put(path.c_str(), body.dump(), "application/json");
    }
    httplib::Result post(const std::string& path, const json& body) {
        return client->Post(path.c_str(), body.dump(), "application/json");
    }
};

json body_of(const httplib::Result& res) {
    REQUIRE(res);
    return json::parse(res->body);
}

// An error answer: the status, and the field it names.
void check_error(const httplib::Result& res, int status, const std::string& field) {
    REQUIRE(res);
    CHECK(res->status == status);
    auto error = api_error_from_json(json::parse(res->body));
    CHECK_FALSE(error.error.empty());
    CHECK(error.field == field);
}

LabelStack stack_of(std::initializer_list<SegmentId> sids) {
    LabelStack s;
    for (const auto& sid : sids)
        s.push_back(sid);
    return s;
}

const Ipv4 kSrc = *Ipv4::parse("10.0.0.1");
const Ipv4 kDst = *Ipv4::parse("10.0.0.2");
const std::string kFlow = "/v1/flows/10.0.0.1/10.0.0.2";

}  // namespace

TEST_CASE("host API: the host's name") {
    Api api;
    auto res = api.client->Get("/v1/host");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(body_of(res)["name"] == api.host.name());
}

TEST_CASE("host API: a flow's label stack is read, replaced and deleted") {
    Api api;
    check_error(api.client->Get(kFlow.c_str()), 404, "");

    auto first = stack_of({SegmentId::function(3), SegmentId::adjacency(2)});
    auto res = api.put(kFlow, {{"labels", to_json(first)}});
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(api.host.flow(kSrc, kDst) == first);

    auto second = stack_of({SegmentId::adjacency(1), SegmentId::function_end(4)});
    REQUIRE(api.put(kFlow, {{"labels", to_json(second)}})->status == 200);
    CHECK(api.host.flow(kSrc, kDst) == second);

    res = api.client->Get(kFlow.c_str());
    REQUIRE(res);
    CHECK(res->status == 200);
    json got = body_of(res);
    CHECK(got["src"] == "10.0.0.1");
    CHECK(got["dst"] == "10.0.0.2");
    CHECK(label_stack_from_json(JsonReader(got["labels"], "answer")) == second);

    res = api.client->Delete(kFlow.c_str());
    REQUIRE(res);
    CHECK(res->status == 204);
    CHECK_FALSE(api.host.flow(kSrc, kDst).has_value());
    check_error(api.client->Get(kFlow.c_str()), 404, "");
}

TEST_CASE("host API: a bad flow request is refused with its field and changes nothing") {
    Api api;
    auto kept = stack_of({SegmentId::function(3)});
    api.host.set_flow(kSrc, kDst, kept);
    auto before = api.journal.entries();

    json outside_blocks = {{"labels", {SegmentId::adjacency(1).label(), 5}}};
    check_error(api.put(kFlow, outside_blocks), 400, "/labels/1");
    json too_wide = {{"labels", {1 << 20}}};
    check_error(api.put(kFlow, too_wide), 400, "/labels/0");
    json too_deep = {{"labels", std::vector<uint32_t>(LabelStack::kMaxDepth + 1,
                                                      SegmentId::adjacency(1).label())}};
    check_error(api.put(kFlow, too_deep), 400, "/labels");
    check_error(api.put(kFlow, {{"labels", "16"}}), 400, "/labels");
    check_error(api.put(kFlow, {{"lables", {SegmentId::function(1).label()}}}), 400, "/lables");
    check_error(api.put(kFlow, json::object()), 400, "/");
    check_error(api.client->Put(kFlow.c_str(), "{\"labels\": [", "application/json"), 400, "");
    check_error(api.client->Put(kFlow.c_str(), "", "application/json"), 400, "");
    check_error(api.put("/v1/flows/10.0.0.300/10.0.0.2", {{"labels", json::array()}}), 400, "src");
    check_error(api.client->Delete("/v1/flows/10.0.0.1/host-b"), 400, "dst");

    CHECK(api.journal.entries() == before);
    CHECK(api.host.flow(kSrc, kDst) == kept);
}

TEST_CASE("host API: neighbours") {
    Api api;
    json body = {
        {"neighbours",
         {to_json(device::Neighbour{*Ipv4::parse("10.0.0.9"), *Mac::parse("02:00:00:00:00:09")}),
          to_json(device::Neighbour{*Ipv4::parse("10.0.0.8"), *Mac::parse("02:00:00:00:00:08")})}}};
    auto res = api.post("/v1/neighbours", body);
    REQUIRE(res);
    CHECK(res->status == 204);
    CHECK(api.journal.index_of("h1 neighbours 2") >= 0);

    auto before = api.journal.entries();
    body["neighbours"][1]["mac"] = "02:00:00:00:00";
    check_error(api.post("/v1/neighbours", body), 400, "/neighbours/1/mac");
    CHECK(api.journal.entries() == before);
}

TEST_CASE("host API: function namespaces and ports") {
    Api api;
    const std::string ns = "/v1/netns/fn-c-echo";
    check_error(api.client->Get(ns.c_str()), 404, "netns");

    auto res = api.client->Put(ns.c_str(), "", "application/json");
    REQUIRE(res);
    CHECK(res->status == 201);
    CHECK(api.host.has_function_netns("fn-c-echo"));
    check_error(api.client->Put(ns.c_str(), "", "application/json"), 409, "netns");
    res = api.client->Get(ns.c_str());
    REQUIRE(res);
    CHECK(res->status == 200);
    check_error(api.client->Put("/v1/netns/Fn.Echo", "", "application/json"), 400, "netns");

    device::FunctionPort port{"fn-c-echo",
                              7,
                              true,
                              *Mac::parse("02:00:00:00:01:07"),
                              *Ipv4::parse("10.0.1.7"),
                              {{*Ipv4::parse("10.0.1.1"), *Mac::parse("02:00:00:00:01:01")}}};
    json port_json = to_json(port);
    auto again = function_port_from_json(JsonReader(port_json, "test"));
    CHECK(again.function_id == 7);
    CHECK(again.alternate);
    CHECK(again.neighbours.size() == 1);
    CHECK(again.neighbours[0].mac == port.neighbours[0].mac);

    auto before = api.journal.entries();
    json bad = port_json;
    bad["ip"] = "10.0.1";
    check_error(api.put(ns + "/port", bad), 400, "/ip");
    bad = port_json;
    bad["netns"] = "fn-other";
    check_error(api.put(ns + "/port", bad), 400, "/netns");
    bad = port_json;
    bad["function_id"] = -1;
    check_error(api.put(ns + "/port", bad), 400, "/function_id");
    check_error(api.put("/v1/netns/fn-missing/port", port_json), 400, "/netns");
    json unnamed = port_json;
    unnamed.erase("netns");
    check_error(api.put("/v1/netns/fn-missing/port", unnamed), 404, "netns");
    CHECK(api.journal.entries() == before);

    res = api.put(ns + "/port", unnamed);  // the path names the namespace
    REQUIRE(res);
    CHECK(res->status == 204);
    CHECK(api.journal.index_of("h1 port fn-c-echo 10.0.1.7") >= 0);

    // Serving: nothing runs in the namespace yet, then an instance does.
    check_error(api.client->Get((ns + "/serving").c_str()), 400, "port");
    check_error(api.client->Get((ns + "/serving?port=70000").c_str()), 400, "port");
    check_error(api.client->Get((ns + "/serving?port=7&timeout_ms=3600000").c_str()), 400,
                "timeout_ms");
    check_error(api.client->Get("/v1/netns/fn-missing/serving?port=7"), 404, "netns");
    res = api.client->Get((ns + "/serving?port=7&timeout_ms=0").c_str());
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(body_of(res)["serving"] == false);
    container::FunctionSpec spec;
    spec.name = "c-echo";
    spec.image = "memory/echo";
    spec.netns = "fn-c-echo";
    api.host.start_function("podman", spec);
    res = api.client->Get((ns + "/serving?port=7&timeout_ms=0").c_str());
    REQUIRE(res);
    CHECK(body_of(res)["serving"] == true);

    res = api.client->Delete(ns.c_str());
    REQUIRE(res);
    CHECK(res->status == 204);
    CHECK_FALSE(api.host.has_function_netns("fn-c-echo"));
    check_error(api.client->Get(ns.c_str()), 404, "netns");
}

TEST_CASE("host API: backends, images and container functions") {
    Api api;
    auto res = api.client->Post("/v1/backends/podman/prepare", "", "application/json");
    REQUIRE(res);
    CHECK(res->status == 204);
    check_error(api.client->Post("/v1/backends/docker/prepare", "", "application/json"), 503,
                "kind");
    check_error(api.client->Post("/v1/backends/lxc/prepare", "", "application/json"), 400, "kind");

    container::ImageSpec image{"echo", "/srv/functions/echo"};
    res = api.post("/v1/backends/podman/images", to_json(image));
    REQUIRE(res);
    CHECK(res->status == 200);
    auto built = image_from_json(JsonReader(body_of(res), "answer"));
    CHECK(built.ref == api.host.ensure_image("podman", image).ref);
    check_error(api.post("/v1/backends/podman/images", {{"name", "echo"}, {"context_dir", "x"}}),
                400, "/context_dir");
    check_error(api.post("/v1/backends/podman/images", {{"name", "Echo"}, {"context_dir", "/x"}}),
                400, "/name");

    api.host.create_function_netns("fn-c-echo");
    container::FunctionSpec spec;
    spec.name = "chima-lab-c-echo";
    spec.image = built.ref;
    spec.args = {"--port", "7"};
    spec.env = {{"CHIMA_FN", "echo"}};
    spec.labels = {{"chima.function", "echo"}, {"app", "lab"}};
    spec.netns = "fn-c-echo";
    spec.capabilities = {"NET_RAW"};
    json spec_json = to_json(spec);
    auto spec_again = function_spec_from_json(JsonReader(spec_json, "test"));
    CHECK(spec_again.args == spec.args);
    CHECK(spec_again.env == spec.env);
    CHECK(spec_again.labels == spec.labels);
    CHECK(spec_again.capabilities == spec.capabilities);

    // Bad specs: nothing starts.
    auto before = api.journal.entries();
    auto with = [&](const char* key, json value) {
        json j = spec_json;
        j[key] = std::move(value);
        return j;
    };
    check_error(api.post("/v1/backends/podman/functions", with("capabilities", {"NET_TELEPORT"})),
                400, "/capabilities/0");
    check_error(api.post("/v1/backends/podman/functions", with("env", {{"1X", "y"}})), 400,
                "/env/1X");
    check_error(api.post("/v1/backends/podman/functions", with("image", "-rm")), 400, "/image");
    check_error(api.post("/v1/backends/podman/functions", with("name", "a b")), 400, "/name");
    check_error(api.post("/v1/backends/podman/functions", with("labels", {{"a=b", "c"}})), 400,
                "/labels/a=b");
    check_error(api.post("/v1/backends/podman/functions", with("args", {"ok", 3})), 400, "/args/1");
    check_error(api.post("/v1/backends/podman/functions", with("netns", "fn-missing")), 404,
                "/netns");
    CHECK(api.journal.entries() == before);
    CHECK(api.host.list_functions("podman", "app", "").empty());

    res = api.post("/v1/backends/podman/functions", spec_json);
    REQUIRE(res);
    CHECK(res->status == 201);
    auto started = instance_from_json(JsonReader(body_of(res), "answer"));
    CHECK(started.name == spec.name);
    CHECK(started.state == container::State::Running);

    res = api.client->Get("/v1/backends/podman/functions/chima-lab-c-echo");
    REQUIRE(res);
    CHECK(res->status == 200);
    auto inspected = instance_from_json(JsonReader(body_of(res), "answer"));
    CHECK(inspected.id == started.id);
    CHECK(inspected.labels == spec.labels);

    res = api.client->Get("/v1/backends/podman/functions?label_key=app&label_value=lab");
    REQUIRE(res);
    CHECK(res->status == 200);
    auto listed = instances_from_json(JsonReader(body_of(res), "answer"));
    REQUIRE(listed.size() == 1);
    CHECK(listed[0].name == spec.name);
    res = api.client->Get("/v1/backends/podman/functions?label_key=app&label_value=other");
    CHECK(body_of(res).empty());
    check_error(api.client->Get("/v1/backends/podman/functions"), 400, "label_key");

    res = api.client->Delete("/v1/backends/podman/functions/chima-lab-c-echo");
    REQUIRE(res);
    CHECK(res->status == 204);
    CHECK(api.host.inspect_function("podman", spec.name).state == container::State::Missing);
    check_error(api.client->Get("/v1/backends/podman/functions/chima-lab-c-echo"), 404, "instance");

    // A device that refuses: 502, and the refusal's message.
    api.journal.fail_next("h1 start ");
    res = api.post("/v1/backends/podman/functions", spec_json);
    check_error(res, 502, "");
    CHECK(api.host.list_functions("podman", "app", "").empty());
}

TEST_CASE("host API: unknown resources, wrong methods and bodies too large") {
    Api api;
    check_error(api.client->Get("/v1/nothing"), 404, "");
    check_error(api.client->Get("/v1/flows/10.0.0.1"), 404, "");
    check_error(api.client->Get("/v2/host"), 404, "");

    auto res = api.client->Post(kFlow.c_str(), "{}", "application/json");
    check_error(res, 405, "");
    CHECK(res->get_header_value("Allow") == "DELETE, GET, PUT");
    check_error(api.client->Delete("/v1/neighbours"), 405, "");

    auto before = api.journal.entries();
    std::string big = "{\"labels\": [" + std::string(8192, ' ') + "16]}";
    res = api.client->Put(kFlow.c_str(), big, "application/json");
    REQUIRE(res);
    CHECK(res->status == 413);
    CHECK(api.journal.entries() == before);
    CHECK_FALSE(api.host.flow(kSrc, kDst).has_value());
}

namespace {

// A client reading GET .../events in its own thread: the stream's id and its events.
class EventReader {
  public:
    EventReader(uint16_t port, const std::string& path) : client_("127.0.0.1", port) {
        client_.set_read_timeout(std::chrono::seconds(10));
        thread_ = std::thread([this, path] {
            auto res = client_.Get(
                path.c_str(),
                [this](const httplib::Response& r) {
                    std::lock_guard lock(mutex_);
                    status_ = r.status;
                    stream_ = r.get_header_value(kEventStreamHeader);
                    changed_.notify_all();
                    return true;
                },
                [this](const char* data, size_t size) {
                    std::lock_guard lock(mutex_);
                    buffer_.append(data, size);
                    for (auto nl = buffer_.find('\n'); nl != std::string::npos;
                         nl = buffer_.find('\n')) {
                        std::string line = buffer_.substr(0, nl);
                        buffer_.erase(0, nl + 1);
                        if (!line.empty())  // empty lines keep the connection checked
                            events_.push_back(
                                health_event_from_json(JsonReader(json::parse(line), "event")));
                    }
                    changed_.notify_all();
                    return !quit_;
                });
            std::lock_guard lock(mutex_);
            ended_ = true;
            if (!res && status_ == 0)
                status_ = -1;
            changed_.notify_all();
        });
    }
    ~EventReader() {
        {
            std::lock_guard lock(mutex_);
            quit_ = true;
        }
        thread_.join();
    }
    // Waits for the answer's headers; its status.
    int status() {
        std::unique_lock lock(mutex_);
        changed_.wait_for(lock, std::chrono::seconds(10), [&] { return status_ != 0 || ended_; });
        return status_;
    }
    std::string stream() {
        status();
        std::lock_guard lock(mutex_);
        return stream_;
    }
    // Waits up to `wait` for `count` events (or the end of the stream).
    std::vector<container::HealthEvent> events(
        size_t count, std::chrono::milliseconds wait = std::chrono::seconds(10)) {
        std::unique_lock lock(mutex_);
        changed_.wait_for(lock, wait, [&] { return events_.size() >= count || ended_; });
        return events_;
    }
    bool ended() {
        std::unique_lock lock(mutex_);
        changed_.wait_for(lock, std::chrono::seconds(10), [&] { return ended_; });
        return ended_;
    }

  private:
    httplib::Client client_;
    std::mutex mutex_;
    std::condition_variable changed_;
    int status_ = 0;
    std::string stream_;
    std::string buffer_;
    std::vector<container::HealthEvent> events_;
    bool quit_ = false;
    bool ended_ = false;
    std::thread thread_;
};

container::FunctionSpec process_spec(const std::string& name) {
    container::FunctionSpec spec;
    spec.name = name;
    spec.image = "/bin/true";
    return spec;
}

}  // namespace

TEST_CASE("host API: the event stream reports a function's exit and its restart") {
    Api api;
    api.host.start_function("process", process_spec("fn-a"));
    api.host.start_function("process", process_spec("fn-b"));

    EventReader reader(api.server.port(), "/v1/backends/process/events?watch=fn-a:on-failure");
    REQUIRE(reader.status() == 200);
    std::string stream = reader.stream();
    REQUIRE_FALSE(stream.empty());

    pid_t first = api.host.children.pid_of("fn-a");
    ::kill(first, SIGTERM);
    auto events = reader.events(2);
    REQUIRE(events.size() >= 2);
    CHECK(events[0].type == "exited");
    CHECK(events[0].name == "fn-a");
    CHECK(events[0].pid == first);
    CHECK(events[0].exit_code == 128 + SIGTERM);
    CHECK(events[1].type == "restarted");
    CHECK(events[1].name == "fn-a");
    pid_t second = api.host.children.pid_of("fn-a");
    CHECK(second != first);
    CHECK(events[1].pid == second);

    // A watch added while the stream runs (never restarted), then one removed.
    auto path = "/v1/events/" + stream + "/watches/fn-b";
    auto res = api.put(path, {{"restart", "never"}});
    REQUIRE(res);
    CHECK(res->status == 204);
    res = api.client->Delete(("/v1/events/" + stream + "/watches/fn-a").c_str());
    REQUIRE(res);
    CHECK(res->status == 204);
    pid_t b = api.host.children.pid_of("fn-b");
    ::kill(b, SIGKILL);
    events = reader.events(3);
    REQUIRE(events.size() >= 3);
    CHECK(events[2].type == "exited");
    CHECK(events[2].name == "fn-b");
    CHECK(events[2].exit_code == 128 + SIGKILL);
    ::kill(second, SIGTERM);  // unwatched: no event, and no restart
    CHECK(reader.events(4, std::chrono::milliseconds(300)).size() == 3);
    CHECK(api.host.children.pid_of("fn-a") == second);

    // Bad watches open nothing.
    check_error(api.put(path, {{"restart", "always"}}), 400, "/restart");
    check_error(api.put("/v1/events/999/watches/fn-b", json::object()), 404, "stream");
    check_error(api.put("/v1/events/" + stream + "/watches/fn-none", json::object()), 404,
                "instance");
    check_error(api.put(path, json::object()), 409, "instance");  // fn-b exited
}

TEST_CASE(
    "host API: event streams are refused with a status, and released when their client goes") {
    Api api;
    api.host.start_function("process", process_spec("fn-a"));
    check_error(api.client->Get("/v1/backends/process/events?watch=fn-none"), 404, "watch");
    check_error(api.client->Get("/v1/backends/process/events?watch=fn-a:sometimes"), 400, "watch");
    check_error(api.client->Get("/v1/backends/podman/events"), 502, "");  // nothing to watch

    {
        EventReader reader(api.server.port(), "/v1/backends/process/events?watch=fn-a");
        REQUIRE(reader.status() == 200);
        // One stream at most (test_options): a second is refused while the first is open.
        check_error(api.client->Get("/v1/backends/process/events"), 503, "");
    }
    // Its client went away: the keepalive notices and the stream is released.
    int status = 0;
    for (int i = 0; i < 100 && status != 200; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        EventReader again(api.server.port(), "/v1/backends/process/events");
        status = again.status();
    }
    CHECK(status == 200);
}

TEST_CASE("host API: stop ends open event streams") {
    Api api;
    api.host.start_function("process", process_spec("fn-a"));
    EventReader reader(api.server.port(), "/v1/backends/process/events?watch=fn-a");
    REQUIRE(reader.status() == 200);
    api.server.stop();
    CHECK(reader.ended());
    CHECK(api.server.port() == 0);
    CHECK_FALSE(api.client->Get("/v1/host"));
}
