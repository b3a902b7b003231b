// Helpers for BPF-tier tests: throw-away pin directories and BPF_PROG_TEST_RUN on a frame.
#pragma once

#include <bpf/bpf.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "packet.hpp"

namespace chima::test {

// A fresh directory path under /sys/fs/bpf; everything pinned there is removed on exit.
class TempPinDir {
  public:
    explicit TempPinDir(const std::string& what) {
        static std::atomic<int> counter{0};
        path_ = std::filesystem::path("/sys/fs/bpf") /
                ("chima-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++)) /
                what;
    }
    ~TempPinDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_.parent_path(), ec);
    }
    TempPinDir(const TempPinDir&) = delete;
    TempPinDir& operator=(const TempPinDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

// Where the build put BPF objects (CHIMA_BPF_DIR from ctest, else the build default).
inline std::filesystem::path bpf_object_path(const std::string& name) {
    const char* dir = std::getenv("CHIMA_BPF_DIR");
    return std::filesystem::path(dir ? dir : CHIMA_DEFAULT_BPF_DIR) / (name + ".bpf.o");
}

struct RunResult {
    int error = 0;  // bpf_prog_test_run_opts() return value
    uint32_t verdict = 0;
    Bytes output;
};

// Runs `prog_fd` once on `input` (as an skb arriving on loopback).
inline RunResult run_program(int prog_fd, const Bytes& input) {
    RunResult r;
    r.output.resize(input.size() + 256);
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = input.data(), .data_out = r.output.data(),
                .data_size_in = static_cast<uint32_t>(input.size()),
                .data_size_out = static_cast<uint32_t>(r.output.size()), .repeat = 1);
    r.error = bpf_prog_test_run_opts(prog_fd, &opts);
    r.verdict = opts.retval;
    r.output.resize(opts.data_size_out);
    return r;
}

}  // namespace chima::test
