// What the fuzz targets of tests/fuzz found in the loaders, kept as regressions: each input
// is refused with chima::InputError (exit 2) naming the file with its position or JSON
// path, where it used to escape as a nlohmann or filesystem exception (exit 1).
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "chima/error.hpp"
#include "chima/model/deployment.hpp"
#include "chima/model/legacy.hpp"
#include "chima/model/placement.hpp"
#include "chima/model/service.hpp"
#include "chima/model/topology.hpp"
#include "chima/state_file.hpp"

using namespace chima;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

fs::path source_root() {
    return fs::path(CHIMA_TEST_DATA).parent_path().parent_path();
}

// A scratch directory removed with its files.
class Scratch {
  public:
    Scratch() {
        std::string pattern = (fs::temp_directory_path() / "chima-findings-XXXXXX").string();
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        dir_ = pattern;
    }
    ~Scratch() { fs::remove_all(dir_); }
    std::string write(const std::string& name, const std::string& text) const {
        std::ofstream(dir_ / name, std::ios::binary) << text;
        return (dir_ / name).string();
    }

  private:
    fs::path dir_;
};

// The deployment.json chima-compose writes for examples/minimal (the fuzz seed).
json minimal_deployment() {
    std::ifstream in(source_root() / "tests/fuzz/corpus/state_files/deployment-minimal");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    REQUIRE(text.size() > 1);
    return json::parse(text.substr(1));  // after the target's selector byte
}

// The message of the InputError `fn` throws ("" and a failed check when it throws no
// InputError, which includes every other exception type).
template <class Fn>
std::string input_error_of(Fn&& fn) {
    try {
        fn();
    } catch (const InputError& e) {
        return e.what();
    }
    FAIL("no InputError");
    return "";
}

}  // namespace

TEST_CASE("fuzz findings: a number beyond a double in a state file is refused where it is") {
    Scratch s;
    std::string path = s.write("deployment.json",
                               "{\n  \"kind\": \"chima.deployment\",\n"
                               "  \"version\": 1e345\n}\n");
    std::string msg = input_error_of([&] { (void)load_deployment(path); });
    CHECK(msg.find(path + ":3:14:") == 0);
    CHECK(msg.find("number overflow") != std::string::npos);
}

TEST_CASE("fuzz findings: deployment.json without topology, or with wrong member types") {
    Scratch s;
    json doc = minimal_deployment();
    doc.erase("topology");
    std::string path = s.write("deployment.json", doc.dump(2));
    CHECK(input_error_of([&] { (void)load_deployment(path); }).find("at /: missing \"topology\"") !=
          std::string::npos);

    doc = minimal_deployment();
    doc["next_port"] = {{"s0", {{"s1", "two"}}}};
    path = s.write("deployment.json", doc.dump(2));
    CHECK(input_error_of([&] {
              (void)load_deployment(path);
          }).find("at /next_port/s0/s1: expected an integer") != std::string::npos);

    doc = minimal_deployment();
    for (auto& f : doc["functions"]) {
        if (f["type"] == "container")
            f["env"] = {{"X", 5}};
    }
    path = s.write("deployment.json", doc.dump(2));
    std::string msg = input_error_of([&] { (void)load_deployment(path); });
    CHECK(msg.find("/env/X: expected a string") != std::string::npos);
}

TEST_CASE("fuzz findings: a legacy compose file name too long is refused at its key") {
    Scratch s;
    const Topology topo =
        load_topology((source_root() / "examples/minimal/topology.yaml").string());
    std::string service = s.write("service.yaml",
                                  "service:\n"
                                  "  client: 10.0.0.200\n"
                                  "functions:\n"
                                  "  echo:\n"
                                  "    type: container\n"
                                  "    file: /" +
                                      std::string(5000, 'a') + "\n");
    std::string msg = input_error_of([&] { (void)import_legacy(topo, service, std::nullopt); });
    CHECK(msg.find(service + ":6:11:") == 0);
    CHECK(msg.find("compose file") != std::string::npos);

    std::string device = s.write("service2.yaml",
                                 "service:\n"
                                 "  client: 10.0.0.200\n"
                                 "functions:\n"
                                 "  echo:\n"
                                 "    type: container\n"
                                 "    file: /dev/zero\n");
    msg = input_error_of([&] { (void)import_legacy(topo, device, std::nullopt); });
    CHECK(msg.find("is not a regular file") != std::string::npos);
}

TEST_CASE("fuzz findings: a malformed stream yaml-cpp's LoadAll never finishes is refused") {
    // yaml-cpp 0.7's LoadAll returns "documents" for ever on these bytes; the loader reads
    // at most two. The file is the fuzz seed that found it.
    fs::path seed = source_root() / "tests/fuzz/corpus/yaml_loaders/loadall-loops-service.yaml";
    REQUIRE(fs::exists(seed));
    CHECK_THROWS_AS(load_service(seed.string()), InputError);
}

TEST_CASE("fuzz findings: a second YAML document is named at its root") {
    Scratch dir;
    std::string path = dir.write("two.yaml", "kind: chima.placement\nplacement: {}\n---\nx: 1\n");
    CHECK_THROWS_WITH_AS(load_placement(path), doctest::Contains("two.yaml:4:1"), InputError);
}
