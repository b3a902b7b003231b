// libFuzzer target: the YAML loaders of the model (topology, service, placement). The first
// byte picks the loader ('0' topology, '1' service, '2' placement); the rest is the file.
// Only chima::InputError may come out (fuzz_support.hpp).
#include <cstdint>
#include <string>

#include "chima/model/placement.hpp"
#include "chima/model/service.hpp"
#include "chima/model/topology.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0)
        return 0;
    const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
    chima::fuzz::expect_only_input_errors([&] {
        switch (chima::fuzz::selector(data[0], 3)) {
            case 0:
                (void)chima::parse_topology(text, "topology.yaml");
                break;
            case 1:
                (void)chima::parse_service(text, "service.yaml");
                break;
            default:
                (void)chima::parse_placement(text, "placement.yaml");
                break;
        }
    });
    return 0;
}
