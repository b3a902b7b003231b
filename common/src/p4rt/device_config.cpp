#include "chima/p4rt/device_config.hpp"

#include <elf.h>

#include <cstring>

#include <nlohmann/json.hpp>

#include "chima/error.hpp"

namespace chima::p4rt {

bool same_function(const DeviceFunction& a, const DeviceFunction& b) {
    if (a.slot != b.slot || a.hash != b.hash || a.program != b.program ||
        a.entries.size() != b.entries.size())
        return false;
    for (size_t i = 0; i < a.entries.size(); ++i)
        if (p4::entry_to_json(a.entries[i]) != p4::entry_to_json(b.entries[i]))
            return false;
    return true;
}

namespace {

// What is wrong with `bytes` as a BPF object ("" when nothing).
std::string bpf_object_problem(const std::string& bytes) {
    if (bytes.size() < sizeof(Elf64_Ehdr) || bytes.compare(0, 4,
                                                           "\x7f"
                                                           "ELF") != 0)
        return "is not an ELF object";
    Elf64_Ehdr h;
    std::memcpy(&h, bytes.data(), sizeof h);
    if (h.e_ident[EI_CLASS] != ELFCLASS64 || h.e_machine != EM_BPF)
        return "is an ELF object, but not for BPF";
    return "";
}

}  // namespace

DeviceConfig parse_device_config(const std::string& bytes) {
    DeviceConfig config;
    if (bytes.empty())
        return config;
    auto doc = nlohmann::json::parse(bytes, nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
        throw InputError(
            "p4_device_config: not a JSON object",
            "chima-compile writes one per switch: build/p4/<switch>.device-config.json");
    p4::DeviceConfig parsed = p4::device_config_from_json(doc);
    for (size_t i = 0; i < parsed.functions.size(); ++i) {
        auto& f = parsed.functions[i];
        if (auto problem = bpf_object_problem(f.object); !problem.empty())
            throw InputError("device config: /functions/" + std::to_string(i) + "/object_base64 " +
                             problem);
        uint32_t slot = f.slot;
        config.functions.emplace(slot, std::move(f));
    }
    return config;
}

}  // namespace chima::p4rt
