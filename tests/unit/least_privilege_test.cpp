// Least privilege for functions: capability names as service.yaml gives them, what the
// deployment and installed.json carry, what the compose files say, and what a process the
// process backend starts really holds (/proc/self/status of the child).
#include <doctest/doctest.h>

#include <unistd.h>

#include <sstream>

#include "chima/capabilities.hpp"
#include "chima/container/compose_file.hpp"
#include "chima/model/deployment.hpp"
#include "chima/model/installed.hpp"
#include "chima/process/child_process.hpp"

using namespace chima;

namespace {

// The value of a "Name:\tvalue" line of /proc/<pid>/status text.
std::string status_field(const std::string& status, const std::string& name) {
    std::istringstream in(status);
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(name + ":", 0) == 0)
            return line.substr(line.find_first_not_of(" \t", name.size() + 1));
    return "";
}

}  // namespace

TEST_CASE("capability names: with or without CAP_, any case, unknown ones refused") {
    CHECK(capability_number("NET_RAW") == 13);
    CHECK(capability_number("cap_net_raw") == 13);
    CHECK(capability_number("Cap_Sys_Admin") == 21);
    CHECK(capability_number("CHECKPOINT_RESTORE") == 40);
    CHECK_FALSE(capability_number("NET_FLY").has_value());
    CHECK_FALSE(capability_number("").has_value());
    CHECK_FALSE(capability_number("CAP_").has_value());
    CHECK(capability_name(13) == "NET_RAW");
    for (size_t i = 0; i < capability_names().size(); ++i)
        CHECK(capability_number(capability_names()[i]) == static_cast<int>(i));
}

TEST_CASE("installed.json keeps a function's capabilities, an unknown one names its path") {
    InstalledFunction f;
    f.chain = "c";
    f.name = "echo";
    f.type = FunctionType::Container;
    f.node = "d1";
    f.state = "running";
    f.container.function_id = 5;
    f.container.netns = "fn-c-echo";
    f.container.backend = "podman";
    f.container.instance = "chima-lab-c-echo";
    f.container.capabilities = {"NET_RAW", "NET_BIND_SERVICE"};
    auto j = to_json(f);
    CHECK(installed_function_from_json(j, "installed.json").container.capabilities ==
          f.container.capabilities);
    j["capabilities"] = {"NET_RAW", "FLY"};
    CHECK_THROWS_WITH_AS(installed_function_from_json(j, "installed.json", "/functions/0"),
                         doctest::Contains("/functions/0/capabilities/1"), InputError);
}

TEST_CASE("compose files drop every capability but the declared ones") {
    container::FunctionSpec spec;
    spec.name = "chima-lab-c-echo";
    spec.image = "chima/echo:1";
    spec.capabilities = {"NET_RAW"};
    std::string yaml = container::compose_yaml({spec});
    CHECK(yaml.find("cap_drop: [ALL]") != std::string::npos);
    CHECK(yaml.find("cap_add: [CAP_NET_RAW]") != std::string::npos);
    CHECK(yaml.find("no-new-privileges") != std::string::npos);
    CHECK(yaml.find("read_only: true") != std::string::npos);
}

TEST_CASE("a process started with least privilege holds only the capabilities it keeps") {
    process::Spec spec;
    spec.argv = {"cat", "/proc/self/status"};
    spec.no_new_privileges = true;
    spec.keep_capabilities = std::vector<int>{*capability_number("NET_RAW")};
    auto r = process::run(spec);
    REQUIRE(r.status.ok());
    CHECK(status_field(r.out, "NoNewPrivs") == "1");
    CHECK(status_field(r.out, "CapInh") == "0000000000000000");
    CHECK(status_field(r.out, "CapAmb") == "0000000000000000");
    if (::geteuid() == 0) {
        // Root gets its bounding set at exec: exactly the kept capability.
        CHECK(status_field(r.out, "CapBnd") == "0000000000002000");
        CHECK(status_field(r.out, "CapEff") == "0000000000002000");
    } else {
        CHECK(status_field(r.out, "CapEff") == "0000000000000000");
    }

    // Without the option nothing changes: the test above is not vacuous.
    process::Spec plain;
    plain.argv = {"cat", "/proc/self/status"};
    auto p = process::run(plain);
    REQUIRE(p.status.ok());
    CHECK(status_field(p.out, "NoNewPrivs") == "0");
}
