// Container functions on a real kernel: each function in a throw-away network namespace
// of its own, attached by a veth pair to a bridge in a "compute host" namespace, all on
// port 12345. The chain toupper -> replace -> widen -> echo is started with the podman and
// the process backends; "hello" from the host namespace must come back "echo: H 3 L L 0".
// A function killed with SIGKILL must be reported and restarted (on-failure); one that exits
// cleanly is not restarted.
// podman runs both ways: one podman process per call, and through its API service.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "chima/container/backend.hpp"
#include "chima/container/compose_file.hpp"
#include "chima/container/health.hpp"
#include "chima/container/podman_service.hpp"
#include "chima/error.hpp"
#include "chima/process/child_process.hpp"
#include "skip.hpp"

using namespace chima;
using namespace chima::container;
using namespace std::chrono_literals;
using chima::test::skip_test_case;
using chima::test::skip_without_dependency;

namespace {

const std::vector<std::string> kChain = {"toupper", "replace", "widen", "echo"};

// CHIMA_BUILD/functions; without it, found from this binary (<build>/tests/<binary>).
std::string functions_dir() {
    if (const char* build = std::getenv("CHIMA_BUILD"); build && *build) {
        return std::string(build) + "/functions";
    }
    return (std::filesystem::read_symlink("/proc/self/exe").parent_path().parent_path() /
            "functions")
        .string();
}

void ip(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"ip"};
    argv.insert(argv.end(), args.begin(), args.end());
    process::run_checked(argv, 10s);
}

// A compute host namespace with a bridge (10.77.0.1/24) and one namespace per chain
// function (10.77.0.10+i). Everything is deleted on destruction.
struct FunctionHost {
    std::string tag = "ct" + std::to_string(::getpid());
    std::string host_ns = tag + "-host";
    std::vector<std::string> fn_ns;
    std::string state_dir;

    FunctionHost() {
        state_dir = (std::filesystem::temp_directory_path() / (tag + "-state")).string();
        ip({"netns", "add", host_ns});
        ip({"-n", host_ns, "link", "set", "lo", "up"});
        ip({"-n", host_ns, "link", "add", "br0", "type", "bridge"});
        ip({"-n", host_ns, "addr", "add", "10.77.0.1/24", "dev", "br0"});
        ip({"-n", host_ns, "link", "set", "br0", "up"});
        for (size_t i = 0; i < kChain.size(); ++i) {
            std::string ns = tag + "-" + kChain[i];
            ip({"netns", "add", ns});
            fn_ns.push_back(ns);
            std::string veth = "v" + std::to_string(i);
            ip({"-n", host_ns, "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns",
                ns});
            ip({"-n", host_ns, "link", "set", veth, "master", "br0", "up"});
            ip({"-n", ns, "link", "set", "lo", "up"});
            ip({"-n", ns, "addr", "add", address(i) + "/24", "dev", "eth0"});
            ip({"-n", ns, "link", "set", "eth0", "up"});
        }
    }
    ~FunctionHost() {
        for (const auto& ns : fn_ns)
            process::run({"ip", "netns", "del", ns}, 10s);
        process::run({"ip", "netns", "del", host_ns}, 10s);
        std::filesystem::remove_all(state_dir);
    }

    static std::string address(size_t i) { return "10.77.0." + std::to_string(10 + i); }

    // The chain's specs: each function in its namespace, pointed at the next one.
    std::vector<FunctionSpec> specs(Backend& backend) const {
        std::vector<FunctionSpec> out;
        for (size_t i = 0; i < kChain.size(); ++i) {
            Image image = backend.ensure_image({kChain[i], functions_dir() + "/" + kChain[i]});
            FunctionSpec spec;
            spec.name = tag + "-" + kChain[i];
            spec.image = image.ref;
            spec.netns = fn_ns[i];
            spec.labels = {{"chima.test", tag}};
            if (i + 1 < kChain.size())
                spec.env["CHIMA_NEXT"] = address(i + 1) + ":12345";
            out.push_back(spec);
        }
        return out;
    }
};

// A UDP socket that lives in network namespace `ns` (a socket stays in the namespace it
// was created in; only this short-lived thread switches).
int socket_in_netns(const std::string& ns) {
    int result = -1;
    std::thread([&] {
        int nsfd = ::open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
        if (nsfd < 0 || ::setns(nsfd, CLONE_NEWNET) != 0)
            return;
        ::close(nsfd);
        result = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    }).join();
    if (result < 0)
        throw_errno("socket in netns " + ns);
    return result;
}

// Sends `message` to ip:12345 until an answer arrives or `patience` runs out (a function
// just started may not listen yet); returns the answer or "" on no answer.
std::string ask(const std::string& ns, const std::string& ip, const std::string& message,
                std::chrono::milliseconds patience = 10s) {
    int fd = socket_in_netns(ns);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(12345);
    ::inet_pton(AF_INET, ip.c_str(), &to.sin_addr);
    auto deadline = std::chrono::steady_clock::now() + patience;
    std::string answer;
    while (answer.empty() && std::chrono::steady_clock::now() < deadline) {
        ::sendto(fd, message.data(), message.size(), 0, reinterpret_cast<sockaddr*>(&to),
                 sizeof to);
        pollfd pfd{fd, POLLIN, 0};
        if (::poll(&pfd, 1, 1500) == 1) {
            char buf[2048];
            ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n > 0)
                answer.assign(buf, static_cast<size_t>(n));
        }
        // Answers from a chain not fully up yet are errors: ask again.
        if (answer.rfind("error:", 0) == 0) {
            answer.clear();
            std::this_thread::sleep_for(50ms);
        }
    }
    ::close(fd);
    return answer;
}

// Collects health events for the test thread.
struct EventLog {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<std::pair<HealthEvent, std::chrono::steady_clock::time_point>> events;

    void add(const HealthEvent& e) {
        std::lock_guard lock(mutex);
        events.emplace_back(e, std::chrono::steady_clock::now());
        changed.notify_all();
    }
    // Waits for an event of `type`; returns its index or -1.
    int wait_for(const std::string& type, std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex);
        int found = -1;
        changed.wait_for(lock, timeout, [&] {
            for (size_t i = 0; i < events.size(); ++i) {
                if (events[i].first.type == type)
                    found = static_cast<int>(i);
            }
            return found >= 0;
        });
        return found;
    }
};

// The whole scenario on one backend (podman through `service` when given).
void chain_kill_restart(const std::string& kind, const PodmanService* service = nullptr) {
    FunctionHost host;
    BackendOptions options;
    options.state_dir = host.state_dir;
    if (service)
        options.podman_socket = service->socket();
    auto backend = make_backend(kind, options);
    auto specs = host.specs(*backend);
    struct Cleanup {
        Backend& b;
        std::vector<FunctionSpec>& s;
        ~Cleanup() {
            for (const auto& spec : s)
                b.remove(spec.name);
        }
    } cleanup{*backend, specs};

    for (const auto& spec : specs) {
        Instance inst = backend->run(spec);
        CHECK_MESSAGE(inst.state == State::Running, spec.name);
        CHECK(inst.pid > 0);
    }
    CHECK(ask(host.host_ns, FunctionHost::address(0), "hello") == "echo: H 3 L L 0");
    CHECK(backend->list("chima.test", host.tag).size() == kChain.size());

    // SIGKILL to widen (in the middle of the chain): an exit event, then a restart. How soon
    // the exit is seen is printed (a figure, not a bound: it depends on the machine's load).
    EventLog log;
    int clean_exit = -1;
    {
        PidfdHealthWatcher watcher(*backend, [&](const HealthEvent& e) { log.add(e); });
        const FunctionSpec& victim = specs[2];
        watcher.watch(victim.name, RestartPolicy::OnFailure);
        Instance before = backend->inspect(victim.name);
        auto killed_at = std::chrono::steady_clock::now();
        REQUIRE(::kill(before.pid, SIGKILL) == 0);
        int exited = log.wait_for("exited", 30s);
        REQUIRE(exited >= 0);
        {
            std::lock_guard lock(log.mutex);
            auto [event, seen] = log.events[exited];
            MESSAGE(kind << ": exit seen after "
                         << std::chrono::duration<double, std::milli>(seen - killed_at).count()
                         << " ms; " << to_json_line(event));
            CHECK(event.name == victim.name);
            CHECK(event.pid == before.pid);
            CHECK(event.exit_code == 128 + SIGKILL);
        }
        int restarted = log.wait_for("restarted", 10s);
        REQUIRE(restarted >= 0);
        {
            std::lock_guard lock(log.mutex);
            CHECK(log.events[restarted].first.pid != before.pid);
            CHECK(log.events[restarted].first.pid > 0);
        }
        CHECK(ask(host.host_ns, FunctionHost::address(0), "hello") == "echo: H 3 L L 0");

        // A clean exit is not restarted under on-failure.
        Instance again = backend->inspect(victim.name);
        ::kill(again.pid, SIGTERM);  // the functions exit 0 on SIGTERM
        for (auto until = std::chrono::steady_clock::now() + 30s;
             std::chrono::steady_clock::now() < until && clean_exit < 0;) {
            std::lock_guard lock(log.mutex);
            for (size_t i = 0; i < log.events.size(); ++i) {
                if (log.events[i].first.type == "exited" && log.events[i].first.pid == again.pid) {
                    clean_exit = static_cast<int>(i);
                }
            }
            if (clean_exit < 0)
                std::this_thread::sleep_for(10ms);
        }
        REQUIRE(clean_exit >= 0);
    }
    // The watcher decides on a restart right after reporting the exit, in its own thread;
    // it has been joined here, so a restart would be in the log already.
    {
        std::lock_guard lock(log.mutex);
        CHECK(log.events[clean_exit].first.exit_code == 0);
        CHECK(log.events.back().first.type == "exited");  // no restart followed
        CHECK(static_cast<int>(log.events.size()) == clean_exit + 1);
    }
    CHECK(backend->inspect(specs[2].name).state == State::Exited);

    for (const auto& spec : specs)
        backend->remove(spec.name);
    CHECK(backend->list("chima.test", host.tag).empty());
    CHECK(backend->inspect(specs[0].name).state == State::Missing);
    // No pid file of podman's is left behind (the restart's included).
    for (const auto& entry : std::filesystem::directory_iterator(host.state_dir))
        CHECK_MESSAGE(entry.path().extension() != ".pid", entry.path());
}

bool have(const char* program) {
    return process::find_program(program).has_value();
}

// podman itself lists none of this test's containers.
void check_no_container_left() {
    auto r = process::run({"podman", "ps", "--all", "--quiet", "--filter",
                           "label=chima.test=ct" + std::to_string(::getpid())});
    CHECK(r.out.empty());
}

}  // namespace

TEST_CASE("containers: podman chain answers, SIGKILL seen and restarted, a clean exit not") {
    if (skip_without_dependency(have("podman"), "podman"))
        return;
    chain_kill_restart("podman");
    check_no_container_left();
}

TEST_CASE(
    "containers: podman API service chain answers, SIGKILL seen and restarted, a clean exit not") {
    if (skip_without_dependency(have("podman"), "podman"))
        return;
    auto dir =
        std::filesystem::temp_directory_path() / ("ct" + std::to_string(::getpid()) + "-service");
    {
        PodmanService service(dir);
        chain_kill_restart("podman", &service);
    }
    std::filesystem::remove_all(dir);
    check_no_container_left();
}

TEST_CASE("containers: the podman API service and the command line manage the same containers") {
    if (skip_without_dependency(have("podman"), "podman"))
        return;
    FunctionHost host;
    BackendOptions cli_options;
    cli_options.state_dir = host.state_dir;
    auto cli = make_backend("podman", cli_options);
    auto specs = host.specs(*cli);
    const FunctionSpec& echo = specs.back();  // answers on its own: no next function
    struct Cleanup {
        Backend& b;
        std::string name;
        ~Cleanup() { b.remove(name); }
    } cleanup{*cli, echo.name};
    std::string echo_ip = FunctionHost::address(kChain.size() - 1);

    pid_t service_pid;
    std::string socket;
    {
        PodmanService service(host.state_dir + "/service");
        service_pid = service.pid();
        socket = service.socket();
        REQUIRE(std::filesystem::exists(socket));
        BackendOptions api_options = cli_options;
        api_options.podman_socket = service.socket();
        auto api = make_backend("podman", api_options);
        CHECK(api->kind() == "podman");

        // An image the service has is found without building; labels, netns, pid as the CLI.
        Image image = api->ensure_image({"echo", functions_dir() + "/echo"});
        CHECK(image.ref == echo.image);
        CHECK_FALSE(image.built);
        CHECK(image.id == cli->ensure_image({"echo", functions_dir() + "/echo"}).id);
        Instance first = api->run(echo);
        REQUIRE(first.state == State::Running);
        CHECK(first.pid > 0);
        CHECK(first.labels.at(kFunctionLabel) == echo.name);
        CHECK(first.labels.at("chima.test") == host.tag);
        CHECK(ask(host.host_ns, echo_ip, "hi") == "echo: hi");
        Instance seen_by_cli = cli->inspect(echo.name);
        CHECK(seen_by_cli.id == first.id);
        CHECK(seen_by_cli.pid == first.pid);
        auto listed = api->list("chima.test", host.tag);
        REQUIRE(listed.size() == 1);
        CHECK(listed[0].name == echo.name);
        CHECK(listed[0].pid == first.pid);

        // The name taken: replaced, as `podman run --replace`.
        Instance second = api->run(echo);
        CHECK(second.id != first.id);
        CHECK(second.pid != first.pid);
        CHECK(cli->list("chima.test", host.tag).size() == 1);

        // A missing image: the error names it; nothing is left under that name.
        FunctionSpec missing = specs.front();
        missing.image = "chima/none:0000000000000000";
        try {
            api->run(missing);
            FAIL("run with a missing image succeeded");
        } catch (const RuntimeError& e) {
            std::string what = e.what();
            CHECK(what.find(missing.image) != std::string::npos);
            CHECK(what.find("image not known") != std::string::npos);  // podman's own reason
        }
        CHECK(api->inspect(missing.name).state == State::Missing);
        CHECK(api->inspect("ct-no-such-container").state == State::Missing);
        api->remove("ct-no-such-container");  // missing is fine
    }
    // A service that does not answer in time is stopped again, its files removed.
    std::string patience_dir = host.state_dir + "/impatient";
    CHECK_THROWS_AS(PodmanService(patience_dir, std::chrono::milliseconds(0)), RuntimeError);
    for (const auto& entry : std::filesystem::directory_iterator(patience_dir))
        CHECK_MESSAGE(entry.path().filename() == "containers.conf", entry.path());
    // The service is gone with its socket; the container it started still serves.
    CHECK(::kill(service_pid, 0) != 0);
    CHECK_FALSE(std::filesystem::exists(socket));
    CHECK(cli->inspect(echo.name).state == State::Running);
    CHECK(ask(host.host_ns, echo_ip, "again") == "echo: again");
    cli->remove(echo.name);
    CHECK(cli->inspect(echo.name).state == State::Missing);
}

TEST_CASE(
    "containers: process backend chain answers, SIGKILL seen and restarted, a clean exit not") {
    chain_kill_restart("process");
}

namespace {

// The chain's compose files, one per host (d1, d2), for podman-compose; on destruction the
// projects are taken down and the containers and the project network removed.
struct ComposeFiles {
    FunctionHost host;
    std::unique_ptr<Backend> backend;
    std::vector<FunctionSpec> specs;
    std::string dir;
    std::vector<std::string> files;
    std::string project;

    ComposeFiles() {
        BackendOptions options;
        options.state_dir = host.state_dir;
        backend = make_backend("podman", options);
        specs = host.specs(*backend);
        dir = host.state_dir + "/compose";
        files =
            write_compose_files(dir, {{"d1", {specs[0], specs[1]}}, {"d2", {specs[2], specs[3]}}});
        project = "chima" + host.tag;  // podman-compose names its network after it
    }
    ~ComposeFiles() {
        for (const auto& f : files)
            compose(f, {"down"});
        for (const auto& s : specs)
            backend->remove(s.name);
        process::run({"podman", "network", "rm", "--force", project + "_default"});
    }
    ComposeFiles(const ComposeFiles&) = delete;
    ComposeFiles& operator=(const ComposeFiles&) = delete;

    process::Result compose(const std::string& file, std::vector<std::string> args) const {
        process::Spec spec;
        spec.argv = {"podman-compose", "-p", project, "-f", file};
        spec.argv.insert(spec.argv.end(), args.begin(), args.end());
        spec.env = {{"CONTAINERS_CONF", dir + "/containers.conf"}};
        return process::run(spec, 120s);
    }
};

}  // namespace

TEST_CASE("containers: emitted compose files are read by podman-compose as our podman runs") {
    if (skip_without_dependency(have("podman") && have("podman-compose"), "podman-compose"))
        return;
    ComposeFiles c;
    REQUIRE(c.files.size() == 2);
    // What podman-compose would run: our namespace, image, environment and labels arrive.
    for (size_t i = 0; i < c.files.size(); ++i) {
        auto r = c.compose(c.files[i], {"--dry-run", "up", "-d"});
        INFO(r.out << r.err);
        REQUIRE(r.status.ok());
        for (size_t j = 2 * i; j < 2 * i + 2; ++j) {
            CHECK(r.out.find("--network ns:/run/netns/" + c.specs[j].netns) != std::string::npos);
            CHECK(r.out.find("--label chima.test=" + c.host.tag) != std::string::npos);
            CHECK(r.out.find(c.specs[j].image) != std::string::npos);
            if (j + 1 < c.specs.size()) {
                CHECK(r.out.find("-e CHIMA_NEXT=" + c.specs[j].env["CHIMA_NEXT"]) !=
                      std::string::npos);
            }
        }
    }
}

TEST_CASE("containers: a chain started by podman-compose from the emitted files answers") {
    if (skip_without_dependency(have("podman") && have("podman-compose"), "podman-compose"))
        return;
    // podman-compose 1.0.3 (Debian 12) also adds "--net <project>_default" whatever the
    // network_mode, which podman rejects with ns: mode (containers/podman-compose#522,
    // fixed in later releases). The chain runs only where that is fixed.
    auto version = process::run({"podman-compose", "version"});
    if (version.out.find("version  1.0.3") != std::string::npos) {
        skip_test_case("podman-compose 1.0.3 cannot start network_mode ns: services");
        return;
    }
    ComposeFiles c;
    for (const auto& f : c.files) {
        auto r = c.compose(f, {"up", "-d"});
        INFO(r.out << r.err);
        CHECK(r.status.ok());
    }
    CHECK(ask(c.host.host_ns, FunctionHost::address(0), "hello") == "echo: H 3 L L 0");
    CHECK(c.backend->list("chima.test", c.host.tag).size() == kChain.size());
}
