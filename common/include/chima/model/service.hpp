// A service: one or more chains of functions with their SLAs. Read from service.yaml (native)
// or from the original prototype's service.yaml + dep.yaml (--legacy).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "chima/error.hpp"
#include "chima/units.hpp"

namespace chima {

enum class FunctionType { P4, Container };
const char* to_string(FunctionType t);

// A latency/jitter bound. Zero means "no bound on that metric".
struct SlaSection {
    Nanoseconds latency = 0;
    Nanoseconds jitter = 0;
    bool empty() const { return latency == 0 && jitter == 0; }
};

// One table entry written in service.yaml for a P4 function; checked against the
// function's P4Info by chima-compile.
struct TableEntry {
    std::string table;
    std::vector<std::pair<std::string, std::string>> match;  // key field -> value text
    std::string action;
    std::vector<std::pair<std::string, std::string>> params;  // param -> value text
    int32_t priority = 0;
    SourceMark mark;
};

struct Function {
    std::string name;
    FunctionType type = FunctionType::Container;
    std::optional<SlaSection> sla;  // bounds the section of the chain ending here
    SourceMark mark;

    // P4
    std::string file;     // the .p4 source
    std::string control;  // the control block's name
    std::vector<TableEntry> entries;

    // Container
    std::string image;                 // an image reference, or
    std::string build;                 // a build context (Containerfile inside)
    std::vector<std::string> command;  // arguments
    std::map<std::string, std::string> env;
    // The Linux capabilities it keeps ("NET_RAW", canonical names of chima/capabilities.hpp);
    // every other one is dropped, and it runs with no new privileges on a read-only root.
    std::vector<std::string> capabilities;
    uint16_t port = 12345;
    std::optional<Ipv4> ip;  // the function's service address (assigned when absent)
};

struct ClientSpec {
    Ipv4 ip;
    uint16_t port = 12345;
    std::string protocol = "udp";
    SourceMark mark;
};

struct Chain {
    std::string name;
    ClientSpec client;
    SlaSection sla;  // end to end
    double alpha = 0.125;
    Nanoseconds poll = 100'000'000;
    std::vector<Function> functions;  // in chain order
    SourceMark mark;
};

struct Service {
    std::string file;
    std::vector<Chain> chains;
};

Service load_service(const std::string& path);
Service parse_service(const std::string& text, const std::string& file);

// Orders functions that name their successor with `next` into a chain: exactly one head,
// every function reached once. Errors (cycle, gap, unknown next) name the function's mark.
// `next[i]` is the successor's name of functions[i] (empty for the last).
std::vector<Function> order_by_next(std::vector<Function> functions,
                                    const std::vector<std::pair<std::string, SourceMark>>& next,
                                    const SourceMark& where);

}  // namespace chima
