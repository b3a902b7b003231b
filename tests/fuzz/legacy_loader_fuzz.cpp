// libFuzzer target: the import of the original prototype's files (model/legacy_yaml.cpp)
// against the minimal example's topology. The input is the legacy service.yaml, then
// optionally a NUL byte and the legacy dep.yaml. Only chima::InputError may come out
// (fuzz_support.hpp).
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include <spdlog/spdlog.h>

#include "chima/model/legacy.hpp"
#include "chima/model/topology.hpp"
#include "chima/state_file.hpp"
#include "fuzz_support.hpp"

namespace {

const chima::Topology& topology() {
    static const chima::Topology topo = [] {
        const char* root = std::getenv("CHIMA_ROOT");
        std::string base = root && *root ? root : CHIMA_DEFAULT_ROOT;
        return chima::load_topology(base + "/examples/minimal/topology.yaml");
    }();
    return topo;
}

}  // namespace

// The loader warns (spdlog) when a compose file is missing; a warning per input is noise.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
    spdlog::set_level(spdlog::level::off);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string input(reinterpret_cast<const char*>(data), size);
    const auto nul = input.find('\0');
    const std::string service = chima::fuzz::scratch_file("service.yaml", input.substr(0, nul));
    std::optional<std::string> dep;
    if (nul != std::string::npos)
        dep = chima::fuzz::scratch_file("dep.yaml", input.substr(nul + 1));
    chima::fuzz::expect_only_input_errors(
        [&] { (void)chima::import_legacy(topology(), service, dep); });
    return 0;
}
