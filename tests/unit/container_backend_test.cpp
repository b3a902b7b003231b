// chima::container without root: backend choice, build-context hashes, compose files, and
// the process backend's life cycle on the host namespace (an echo function on a spare port).
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include <yaml-cpp/yaml.h>

#include "chima/container/backend.hpp"
#include "chima/container/compose_file.hpp"
#include "chima/error.hpp"
#include "chima/process/child_process.hpp"
#include "skip.hpp"

using namespace chima;
using namespace chima::container;
namespace fs = std::filesystem;

namespace {

struct TempDir {
    fs::path path = fs::temp_directory_path() / ("chima-ct-unit-" + std::to_string(::getpid()));
    TempDir() { fs::create_directories(path); }
    ~TempDir() { fs::remove_all(path); }
};

void write(const fs::path& p, const std::string& text) {
    std::ofstream(p) << text;
}

// CHIMA_BUILD/functions; without it, found from this binary (<build>/tests/<binary>).
std::string functions_dir() {
    if (const char* build = std::getenv("CHIMA_BUILD"); build && *build) {
        return std::string(build) + "/functions";
    }
    return (std::filesystem::read_symlink("/proc/self/exe").parent_path().parent_path() /
            "functions")
        .string();
}

std::string ask_local(uint16_t port, const std::string& message) {
    int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string answer;
    for (int i = 0; i < 100 && answer.empty(); ++i) {
        ::sendto(fd, message.data(), message.size(), 0, reinterpret_cast<sockaddr*>(&to),
                 sizeof to);
        pollfd pfd{fd, POLLIN, 0};
        if (::poll(&pfd, 1, 50) == 1) {
            char buf[512];
            ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n > 0)
                answer.assign(buf, static_cast<size_t>(n));
        }
    }
    ::close(fd);
    return answer;
}

}  // namespace

TEST_CASE("container: restart policies parse, anything else is refused") {
    CHECK(parse_restart_policy("never") == RestartPolicy::Never);
    CHECK(parse_restart_policy("on-failure") == RestartPolicy::OnFailure);
    CHECK_FALSE(parse_restart_policy("always").has_value());
    CHECK(to_string(RestartPolicy::OnFailure) == "on-failure");
}

TEST_CASE("container: an unknown backend is bad input") {
    CHECK_THROWS_AS(make_backend("lxc"), InputError);
}

TEST_CASE("container: docker without an engine says so") {
    // docker is not among what scripts/setup.sh installs: a skip, in CI too.
    if (!process::find_program("docker")) {
        chima::test::skip_test_case("docker is not installed");
        return;
    }
    auto r = process::run({"docker", "version", "--format", "{{.Server.Version}}"},
                          std::chrono::seconds(5));
    if (r.status.ok()) {
        chima::test::skip_test_case("a Docker engine answers here");
        return;
    }
    try {
        make_backend("docker");
        FAIL("expected a RuntimeError");
    } catch (const RuntimeError& e) {
        CHECK(std::string(e.what()).find("no Docker engine answers") != std::string::npos);
    }
}

TEST_CASE("container: the build-context hash follows content, names and modes only") {
    TempDir a, b;
    fs::create_directories(b.path / "sub");
    write(a.path / "Containerfile", "FROM scratch\n");
    write(a.path / "bin", "x");
    std::string h1 = hash_build_context(a.path.string());
    CHECK(h1.size() == 16);
    CHECK(hash_build_context(a.path.string()) == h1);
    write(a.path / "bin", "y");
    std::string h2 = hash_build_context(a.path.string());
    CHECK(h2 != h1);
    fs::permissions(a.path / "bin", fs::perms::owner_exec, fs::perm_options::add);
    CHECK(hash_build_context(a.path.string()) != h2);
    CHECK_THROWS_AS(hash_build_context((a.path / "missing").string()), InputError);
}

TEST_CASE("container: compose files carry image, namespace, environment and labels") {
    TempDir dir;
    FunctionSpec toupper;
    toupper.name = "c1-toupper";
    toupper.image = "chima/toupper:0123456789abcdef";
    toupper.netns = "fn-toupper";
    toupper.env = {{"CHIMA_NEXT", "10.0.0.3:12345"}};
    toupper.labels = {{"chima.deployment", "dep-1"}};
    FunctionSpec echo = toupper;
    echo.name = "c1-echo";
    echo.env.clear();
    echo.args = {"--verbose"};
    auto files = write_compose_files(dir.path.string(), {{"d1", {toupper, echo}}});
    REQUIRE(files.size() == 1);
    CHECK(files[0] == (dir.path / "d1.compose.yaml").string());
    CHECK(fs::exists(dir.path / "containers.conf"));

    YAML::Node doc = YAML::LoadFile(files[0]);
    YAML::Node svc = doc["services"]["c1-toupper"];
    CHECK(svc["image"].as<std::string>() == toupper.image);
    CHECK(svc["container_name"].as<std::string>() == "c1-toupper");
    CHECK(svc["network_mode"].as<std::string>() == "ns:/run/netns/fn-toupper");
    CHECK(svc["environment"]["CHIMA_NEXT"].as<std::string>() == "10.0.0.3:12345");
    std::vector<std::string> labels = svc["labels"].as<std::vector<std::string>>();
    CHECK(std::find(labels.begin(), labels.end(), "chima.deployment=dep-1") != labels.end());
    CHECK(std::find(labels.begin(), labels.end(), "chima.managed=1") != labels.end());
    CHECK(doc["services"]["c1-echo"]["command"][0].as<std::string>() == "--verbose");
    CHECK_THROWS_AS(write_compose_files(dir.path.string(), {{"../x", {echo}}}), InputError);
}

TEST_CASE("container: process backend runs, lists, restarts and removes a function") {
    std::string context = functions_dir() + "/echo";
    if (chima::test::skip_without_dependency(fs::exists(context + "/echo"),
                                             "the built functions (" + context + "/echo)"))
        return;
    TempDir state;
    BackendOptions options;
    options.state_dir = state.path.string();
    auto backend = make_backend("process", options);
    Image image = backend->ensure_image({"echo", context});
    CHECK(image.ref == fs::absolute(context + "/echo").string());

    uint16_t port = static_cast<uint16_t>(20000 + ::getpid() % 20000);
    FunctionSpec spec;
    spec.name = "unit-echo-" + std::to_string(::getpid());
    spec.image = image.ref;
    spec.args = {"--port", std::to_string(port)};
    spec.labels = {{"chima.test", spec.name}};
    Instance inst = backend->run(spec);
    CHECK(inst.state == State::Running);
    CHECK(ask_local(port, "hi") == "echo: hi");
    auto listed = backend->list("chima.test", spec.name);
    REQUIRE(listed.size() == 1);
    CHECK(listed[0].pid == inst.pid);
    CHECK(listed[0].labels.at(kManagedLabel) == "1");

    ::kill(inst.pid, SIGKILL);
    for (int i = 0; i < 100 && backend->inspect(spec.name).state == State::Running; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    Instance dead = backend->inspect(spec.name);
    CHECK(dead.state == State::Exited);
    CHECK(dead.exit_code == 128 + SIGKILL);  // our child: the code is known

    Instance again = backend->start(spec.name);
    CHECK(again.state == State::Running);
    CHECK(again.pid != inst.pid);
    CHECK(ask_local(port, "again") == "echo: again");

    backend->remove(spec.name);
    CHECK(backend->inspect(spec.name).state == State::Missing);
    CHECK(::kill(again.pid, 0) != 0);
    CHECK(backend->list("chima.test", spec.name).empty());
}
