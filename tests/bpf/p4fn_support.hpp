// Runs a P4 function compiled by libchima's compiler alone, without the switch pipeline:
// the test creates the function's own chima_scratch/chima_resume maps (nothing reused),
// fills chima_scratch with a prepared struct chima_packet, runs the slot program with
// BPF_PROG_TEST_RUN and reads the struct back. The thread is pinned to CPU 0 so the
// per-CPU scratch slot the program sees is slot 0.
#pragma once

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/pkt_cls.h>
#include <sched.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "chima/p4/compiler.hpp"
#include "chima/bpf/table_entries.hpp"
#include "chima/pipeline.h"

namespace chima::test {

inline std::filesystem::path p4_build_dir() {
    const char* b = std::getenv("CHIMA_BUILD");
    return std::filesystem::path(b ? b : "/tmp") / "p4fn-test";
}

inline std::filesystem::path repo_root() {
    const char* r = std::getenv("CHIMA_ROOT");
    return r ? r : CHIMA_DEFAULT_ROOT;
}

inline void pin_to_cpu0() {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    sched_setaffinity(0, sizeof set, &set);
}

class LoadedFunction {
  public:
    explicit LoadedFunction(const std::filesystem::path& p4_file, const std::string& control = {}) {
        p4::CompileOptions opts;
        opts.build_dir = p4_build_dir();
        compiled_ = p4::compile_function(p4_file, control, opts);
        open(compiled_.object_path);
    }
    explicit LoadedFunction(p4::CompiledFunction compiled) : compiled_(std::move(compiled)) {
        open(compiled_.object_path);
    }
    ~LoadedFunction() { bpf_object__close(obj_); }
    LoadedFunction(const LoadedFunction&) = delete;
    LoadedFunction& operator=(const LoadedFunction&) = delete;

    const nlohmann::json& p4info() const { return compiled_.p4info; }
    bpf_object* object() const { return obj_; }
    int map_fd(const std::string& name) const {
        bpf_map* m = bpf_object__find_map_by_name(obj_, name.c_str());
        if (!m)
            throw std::runtime_error("no map " + name);
        return bpf_map__fd(m);
    }

    void add(const p4::EntrySpec& e) { bpf::install_entry(obj_, compiled_.p4info, e); }

    // Runs the function on `in`; returns the packet struct as the function left it.
    chima_packet run(const chima_packet& in, int* verdict = nullptr) {
        pin_to_cpu0();
        int ncpu = libbpf_num_possible_cpus();
        size_t stride = (sizeof(chima_packet) + 7) / 8 * 8;
        std::vector<unsigned char> buf(stride * ncpu, 0);
        for (int c = 0; c < ncpu; ++c)
            std::memcpy(buf.data() + c * stride, &in, sizeof in);
        __u32 zero = 0;
        int scratch = map_fd("chima_scratch");
        if (bpf_map_update_elem(scratch, &zero, buf.data(), BPF_ANY) != 0)
            throw std::runtime_error("write scratch");
        unsigned char frame[64] = {};
        LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = sizeof frame);
        if (bpf_prog_test_run_opts(bpf_program__fd(prog_), &opts) != 0)
            throw std::runtime_error("BPF_PROG_TEST_RUN failed");
        if (verdict)
            *verdict = static_cast<int>(opts.retval);
        if (bpf_map_lookup_elem(scratch, &zero, buf.data()) != 0)
            throw std::runtime_error("read scratch");
        chima_packet out;
        std::memcpy(&out, buf.data(), sizeof out);  // CPU 0
        return out;
    }

  private:
    void open(const std::filesystem::path& obj) {
        obj_ = bpf_object__open_file(obj.c_str(), nullptr);
        if (!obj_)
            throw std::runtime_error("cannot open " + obj.string());
        if (bpf_object__load(obj_) != 0) {
            bpf_object__close(obj_);
            obj_ = nullptr;
            throw std::runtime_error("kernel refused " + obj.string());
        }
        prog_ = bpf_object__find_program_by_name(
            obj_, compiled_.p4info.at("program").get<std::string>().c_str());
        if (!prog_)
            throw std::runtime_error("no program in " + obj.string());
    }

    p4::CompiledFunction compiled_;
    bpf_object* obj_ = nullptr;
    bpf_program* prog_ = nullptr;
};

// An IPv4/TCP packet struct as the pipeline would parse it.
inline chima_packet ipv4_packet(__u32 src, __u32 dst, __u8 proto, __u16 sport, __u16 dport) {
    chima_packet p{};
    p.hdr.ethernet_valid = 1;
    p.hdr.ethernet.ether_type = 0x0800;
    p.hdr.ipv4_valid = 1;
    p.hdr.ipv4.version = 4;
    p.hdr.ipv4.ihl = 5;
    p.hdr.ipv4.ttl = 64;
    p.hdr.ipv4.protocol = proto;
    p.hdr.ipv4.src_addr = src;
    p.hdr.ipv4.dst_addr = dst;
    p.hdr.ipv4.len = 60;
    if (proto == 6) {
        p.hdr.tcp_valid = 1;
        p.hdr.tcp.src_port = sport;
        p.hdr.tcp.dst_port = dport;
    } else if (proto == 17) {
        p.hdr.udp_valid = 1;
        p.hdr.udp.src_port = sport;
        p.hdr.udp.dst_port = dport;
    }
    p.meta.l4_src_port = sport;
    p.meta.l4_dst_port = dport;
    p.std.packet_length = 74;
    return p;
}

}  // namespace chima::test
