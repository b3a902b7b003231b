// libFuzzer target: the readers of the state files, as the tools call them on a path. The
// first byte picks the file ('0' deployment.json, '1' installed.json, '2' routes.json,
// '3' net.json, '4' artifacts.json); the rest is its content. Only chima::InputError may
// come out (fuzz_support.hpp).
#include <cstdint>
#include <string>

#include "chima/deploy/artifacts.hpp"
#include "chima/model/deployment.hpp"
#include "chima/model/installed.hpp"
#include "chima/model/net_state.hpp"
#include "chima/model/routes.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0)
        return 0;
    const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    const unsigned which = chima::fuzz::selector(data[0], 5);
    static const char* const names[] = {"deployment.json", "installed.json", "routes.json",
                                        "net.json", "artifacts.json"};
    const std::string path = chima::fuzz::scratch_file(names[which], text);
    chima::fuzz::expect_only_input_errors([&] {
        switch (which) {
            case 0:
                (void)chima::load_deployment(path);
                break;
            case 1:
                (void)chima::load_installed(path);
                break;
            case 2:
                (void)chima::load_routes(path);
                break;
            case 3:
                (void)chima::load_net_state(path);
                break;
            default:
                (void)chima::deploy::load_artifacts(path);
                break;
        }
    });
    return 0;
}
