// What every libFuzzer target of the loaders shares: the one rule of a finding besides the
// sanitizers' (a crash, a leak, undefined behaviour, a hang, memory beyond -rss_limit_mb):
// bad input must be refused with chima::InputError (or InputErrors), the error a tool turns
// into exit 2 with a position or a JSON path. Any other exception (a nlohmann type_error, a
// std::out_of_range, a filesystem_error, a RuntimeError that would exit 1) is a finding:
// the target prints it and aborts, so libFuzzer keeps the input.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <typeinfo>

#include "chima/error.hpp"

namespace chima::fuzz {

template <class Fn>
void expect_only_input_errors(Fn&& fn) {
    try {
        fn();
    } catch (const InputError&) {
    } catch (const InputErrors&) {
    } catch (const std::exception& e) {
        std::fprintf(stderr, "FINDING: bad input escaped as %s: %s\n", typeid(e).name(), e.what());
        std::abort();
    } catch (...) {
        std::fprintf(stderr, "FINDING: bad input escaped as a non-std exception\n");
        std::abort();
    }
}

// A scratch directory of this process for loaders that read files, removed at exit.
inline const std::filesystem::path& scratch_dir() {
    static const std::filesystem::path dir = [] {
        auto d =
            std::filesystem::temp_directory_path() / ("chima-fuzz-" + std::to_string(::getpid()));
        std::filesystem::create_directories(d);
        std::atexit([] {
            std::error_code ec;
            std::filesystem::remove_all(scratch_dir(), ec);
        });
        return d;
    }();
    return dir;
}

// Writes `content` to `name` in the scratch directory and returns its path.
inline std::string scratch_file(const std::string& name, std::string_view content) {
    std::filesystem::path p = scratch_dir() / name;
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    return p.string();
}

// The format a selector byte picks: (byte - '0') modulo `count`, so that the seeds can
// start with a digit and any byte still picks one.
inline unsigned selector(std::uint8_t byte, unsigned count) {
    return static_cast<std::uint8_t>(byte - '0') % count;
}

}  // namespace chima::fuzz
