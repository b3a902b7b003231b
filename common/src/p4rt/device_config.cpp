#include "chima/p4rt/device_config.hpp"

#include <elf.h>

#include <cstring>
#include <set>

#include "chima/base64.hpp"
#include "chima/content_hash.hpp"
#include "chima/error.hpp"
#include "chima/model/json_reader.hpp"

extern "C" {
#include "chima/pipeline.h"
}

namespace chima::p4rt {

namespace {

constexpr const char* kWhat = "p4_device_config";

// What is wrong with `bytes` as a BPF object ("" when nothing).
std::string bpf_object_problem(const std::string& bytes) {
    if (bytes.size() < sizeof(Elf64_Ehdr) || bytes.compare(0, 4, "\x7f" "ELF") != 0)
        return "not an ELF object";
    Elf64_Ehdr h;
    std::memcpy(&h, bytes.data(), sizeof h);
    if (h.e_ident[EI_CLASS] != ELFCLASS64 || h.e_machine != EM_BPF)
        return "an ELF object, but not for BPF";
    return "";
}

}  // namespace

DeviceConfig parse_device_config(const std::string& bytes) {
    DeviceConfig config;
    if (bytes.empty())
        return config;
    nlohmann::json doc = nlohmann::json::parse(bytes, nullptr, false);
    if (doc.is_discarded())
        throw InputError(std::string(kWhat) + ": not a JSON document",
                         "chima-compile writes one per switch: build/p4/<switch>.device-config.json");
    JsonReader root(doc, kWhat);
    if (!doc.is_object())
        root.fail("expected an object");
    if (root.at("format").str() != kDeviceConfigFormat)
        root.at("format").fail(std::string("expected \"") + kDeviceConfigFormat + "\"");
    if (!root.has("functions"))
        return config;
    std::set<std::string> names;
    for (const auto& f : root.at("functions").items()) {
        DeviceFunction fn;
        fn.slot = static_cast<uint32_t>(
            f.at("slot").integer(1, CHIMA_MAX_SLOTS - 1, "a function slot"));
        if (config.functions.count(fn.slot))
            f.at("slot").fail("slot " + std::to_string(fn.slot) + " is given twice");
        fn.name = f.at("name").name();
        fn.control = f.has("control") ? f.at("control").str() : fn.name;
        fn.program = f.has("program") ? f.at("program").str() : "";
        auto object = base64_decode(f.at("object_base64").str());
        if (!object)
            f.at("object_base64").fail("not padded standard base64");
        if (auto problem = bpf_object_problem(*object); !problem.empty())
            f.at("object_base64").fail(problem);
        fn.object = std::move(*object);
        fn.hash = fnv1a_hex(fn.object);
        if (f.has("hash") && f.at("hash").str() != fn.hash)
            f.at("hash").fail("does not match the object (its hash is " + fn.hash + ")");
        auto info = f.at("p4info");
        if (!info.raw().is_object() || !info.raw().contains("format") ||
            info.raw()["format"] != "chima-p4info-1")
            info.fail("expected a chima-p4info-1 document (chima-compile's function P4Info)");
        for (const char* key : {"tables", "actions"})
            if (!info.raw().contains(key) || !info.raw()[key].is_array())
                info.fail(std::string("has no array \"") + key + "\"");
        fn.p4info = info.raw();
        config.functions.emplace(fn.slot, std::move(fn));
    }
    return config;
}

std::string device_config_bytes(const DeviceConfig& config) {
    nlohmann::json fns = nlohmann::json::array();
    for (const auto& [slot, f] : config.functions)
        fns.push_back({{"slot", slot},
                       {"name", f.name},
                       {"control", f.control},
                       {"program", f.program},
                       {"hash", f.hash},
                       {"object_base64", base64_encode(f.object)},
                       {"p4info", f.p4info}});
    return nlohmann::json{{"format", kDeviceConfigFormat}, {"functions", fns}}.dump();
}

}  // namespace chima::p4rt
