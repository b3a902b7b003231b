#include "chima/deploy/compile_deployment.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <map>
#include <set>
#include <sstream>

#include "chima/deploy/artifacts.hpp"
#include "chima/deploy/devices.hpp"
#include "chima/error.hpp"
#include "chima/content_hash.hpp"
#include "chima/p4/checker.hpp"
#include "chima/p4/device_config.hpp"
#include "chima/p4/p4runtime_info.hpp"
#include "chima/process/child_process.hpp"
#include "chima/state_file.hpp"

namespace chima::deploy {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string entry_name(const PlacedFunction& f, size_t i, const TableEntry& e) {
    return "function '" + f.chain + "/" + f.spec.name + "': entry " + std::to_string(i) +
           " (table '" + e.table + "')";
}

[[noreturn]] void entry_error(const PlacedFunction& f, size_t i, const TableEntry& e,
                              const std::string& what) {
    std::string msg = entry_name(f, i, e) + ": " + what;
    if (!e.mark.file.empty())
        throw InputError(e.mark, msg);
    if (!f.spec.mark.file.empty())
        throw InputError(f.spec.mark, msg);
    throw InputError(msg);
}

// A number as written in an entry: decimal, 0x.., 0b.., a.b.c.d or aa:bb:cc:dd:ee:ff.
std::optional<uint64_t> parse_number(std::string s) {
    while (!s.empty() && s.front() == ' ')
        s.erase(s.begin());
    while (!s.empty() && s.back() == ' ')
        s.pop_back();
    if (s.empty())
        return std::nullopt;
    auto parse_parts = [&](char sep, int base, int count, int bits) -> std::optional<uint64_t> {
        uint64_t v = 0;
        int n = 0;
        std::stringstream ss(s);
        std::string part;
        while (std::getline(ss, part, sep)) {
            if (part.empty() || part.size() > 3)
                return std::nullopt;
            size_t used = 0;
            unsigned long x;
            try {
                x = std::stoul(part, &used, base);
            } catch (...) {
                return std::nullopt;
            }
            if (used != part.size() || x >= (1ul << bits))
                return std::nullopt;
            v = (v << bits) | x;
            ++n;
        }
        return n == count ? std::optional<uint64_t>(v) : std::nullopt;
    };
    if (s.find(':') != std::string::npos)
        return parse_parts(':', 16, 6, 8);
    if (std::count(s.begin(), s.end(), '.') == 3)
        return parse_parts('.', 10, 4, 8);
    int base = 10;
    std::string digits = s;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        base = 16, digits = s.substr(2);
    else if (s.size() > 2 && s[0] == '0' && (s[1] == 'b' || s[1] == 'B'))
        base = 2, digits = s.substr(2);
    if (digits.empty() || digits[0] == '-' || digits[0] == '+')
        return std::nullopt;
    try {
        size_t used = 0;
        uint64_t v = std::stoull(digits, &used, base);
        if (used != digits.size())
            return std::nullopt;
        return v;
    } catch (...) {
        return std::nullopt;
    }
}

// A key field matches the name written in the entry when the names are equal or the
// entry gives only the last component ("dst_addr" or "ipv4.dst_addr" for hdr.ipv4.dst_addr).
bool key_named(const std::string& field, const std::string& written) {
    if (field == written)
        return true;
    return field.size() > written.size() &&
           field.compare(field.size() - written.size(), written.size(), written) == 0 &&
           field[field.size() - written.size() - 1] == '.';
}

const json* find_by_name(const json& list, const std::string& name) {
    for (const auto& x : list)
        if (x.at("name") == name)
            return &x;
    return nullptr;
}

}  // namespace

std::vector<p4::EntrySpec> resolve_entries(const PlacedFunction& f, const json& p4info) {
    std::vector<p4::EntrySpec> out;
    for (size_t i = 0; i < f.spec.entries.size(); ++i) {
        const TableEntry& e = f.spec.entries[i];
        auto fail = [&](const std::string& what) { entry_error(f, i, e, what); };
        const json* table = find_by_name(p4info.at("tables"), e.table);
        if (!table)
            fail("unknown table '" + e.table + "'");
        if (!find_by_name(p4info.at("actions"), e.action))
            fail("unknown action '" + e.action + "'");
        const json& keys = table->at("keys");
        p4::EntrySpec spec;
        spec.table = e.table;
        spec.action = e.action;
        if (e.priority < 0)
            fail("priority must not be negative");
        spec.priority = static_cast<uint32_t>(e.priority);
        spec.keys.resize(keys.size());
        std::set<std::string> used;
        for (const auto& k : keys) {
            std::string name = k.at("name"), match = k.at("match");
            size_t index = k.value("p4_index", size_t{0});
            const std::string* text = nullptr;
            for (const auto& [written, value] : e.match) {
                if (key_named(name, written)) {
                    text = &value;
                    used.insert(written);
                }
            }
            p4::KeyMatch m;
            if (!text || *text == "_") {
                if (match == "exact")
                    fail("no value for exact key '" + name + "'");
                m.wildcard = true;
            } else if (auto amp = text->find("&&&"); amp != std::string::npos) {
                if (match != "ternary")
                    fail("key '" + name + "' is " + match + ": no &&& mask");
                auto v = parse_number(text->substr(0, amp)),
                     mk = parse_number(text->substr(amp + 3));
                if (!v || !mk)
                    fail("key '" + name + "': bad value '" + *text + "'");
                m.value = *v;
                m.mask = *mk;
            } else if (auto slash = text->find('/'); slash != std::string::npos) {
                if (match == "exact")
                    fail("key '" + name + "' is exact: no /prefix");
                auto v = parse_number(text->substr(0, slash));
                auto len = parse_number(text->substr(slash + 1));
                if (!v || !len || *len > 64)
                    fail("key '" + name + "': bad prefix '" + *text + "'");
                m.value = *v;
                m.prefix_len = static_cast<int>(*len);
                if (match == "ternary") {
                    int w = k.at("width");
                    if (*len > static_cast<uint64_t>(w))
                        fail("key '" + name + "': prefix above bit<" + std::to_string(w) + ">");
                    uint64_t all = w >= 64 ? ~0ULL : (1ULL << w) - 1;
                    m.mask = *len == 0 ? 0 : (all << (w - *len)) & all;
                    m.prefix_len = -1;
                }
            } else {
                auto v = parse_number(*text);
                if (!v)
                    fail("key '" + name + "': bad value '" + *text + "'");
                m.value = *v;
            }
            if (index >= spec.keys.size())
                fail("bad P4Info key index");
            spec.keys[index] = m;
        }
        for (const auto& [written, value] : e.match)
            if (!used.count(written))
                fail("table '" + e.table + "' has no key '" + written + "'");
        const json* action = find_by_name(p4info.at("actions"), e.action);
        std::set<std::string> params_used;
        for (const auto& p : action->at("params")) {
            std::string name = p.at("name");
            const std::string* text = nullptr;
            for (const auto& [written, value] : e.params)
                if (written == name)
                    text = &value, params_used.insert(written);
            if (!text)
                fail("action '" + e.action + "' needs parameter '" + name + "'");
            auto v = parse_number(*text);
            if (!v)
                fail("parameter '" + name + "': bad value '" + *text + "'");
            spec.params.push_back(*v);
        }
        for (const auto& [written, value] : e.params)
            if (!params_used.count(written))
                fail("action '" + e.action + "' has no parameter '" + written + "'");
        try {
            p4::encode_entry(p4info, spec);  // widths, action allowed in the table
        } catch (const InputError& err) {
            fail(err.what());
        }
        out.push_back(std::move(spec));
    }
    return out;
}

namespace {

constexpr const char* kIncludeMarker = "@CHIMA_INJECT_INCLUDE@";
constexpr const char* kInstanceMarker = "@CHIMA_INJECT_INSTANCES@";
constexpr const char* kDispatchMarker = "@CHIMA_INJECT_DISPATCH@";

// Replaces the whole line holding `marker` with `text`.
void replace_marker_line(std::string& program, const char* marker, const std::string& text) {
    size_t at = program.find(marker);
    if (at == std::string::npos)
        throw InputError(std::string("the P4 template has no marker ") + marker);
    size_t begin = program.rfind('\n', at);
    begin = begin == std::string::npos ? 0 : begin + 1;
    size_t end = program.find('\n', at);
    end = end == std::string::npos ? program.size() : end + 1;
    program.replace(begin, end - begin, text);
}

// p4c on a large merged program takes seconds; one that hangs must not hang the tool.
constexpr std::chrono::minutes kP4cTimeout{10};

// What p4c wrote for one switch: the bmv2 device config (JSON) and its P4Info (text format,
// as p4c writes it and a P4Runtime client sends it).
struct P4cOutputs {
    fs::path device_config, p4info, log;
};

// Runs p4c for bmv2/v1model on one merged program; its outputs go beside it. The program
// includes only p4c's own core.p4 and v1model.p4 and CHIMA's types by absolute path, so no
// include directory is passed. `p4c` is the driver or p4c-bm2-ss (which takes no --target
// and writes its JSON to the file -o names, as the driver's bmv2 back end does).
P4cOutputs run_p4c(const fs::path& p4c, const fs::path& program, const std::string& sw) {
    P4cOutputs out;
    out.device_config = program.parent_path() / (sw + ".bmv2.json");
    out.p4info = program.parent_path() / (sw + ".p4c.p4info.txt");
    out.log = program.parent_path() / (sw + ".p4c.log");
    process::Spec spec;
    spec.argv = {p4c.string()};
    if (p4c.filename() != "p4c-bm2-ss")
        spec.argv.insert(spec.argv.end(), {"--target", "bmv2"});
    spec.argv.insert(spec.argv.end(), {"--arch", "v1model", "-o", out.device_config.string(),
                                       "--p4runtime-files", out.p4info.string(), program.string()});
    spec.out = process::Output::append_to(out.log.string());
    spec.err = process::Output::append_to(out.log.string());
    spec.die_with_parent = true;  // p4c is in its own process group: Ctrl-C reaches only us
    fs::remove(out.log);
    fs::remove(out.device_config);
    fs::remove(out.p4info);
    process::Result r = process::run(spec, kP4cTimeout);
    if (r.timed_out) {
        throw RuntimeError(
            "switch '" + sw + "': p4c timed out on the merged program " + program.string(),
            "see " + out.log.string());
    }
    if (!r.status.ok()) {
        throw InputError("switch '" + sw + "': p4c rejected the merged program " + program.string(),
                         "see " + out.log.string());
    }
    if (!fs::exists(out.device_config) || !fs::exists(out.p4info))
        throw RuntimeError("switch '" + sw + "': " + p4c.string() +
                               " wrote no bmv2 JSON or P4Info for " + program.string(),
                           "see " + out.log.string());
    return out;
}

}  // namespace

std::string anchor_includes(const std::string& text, const fs::path& dir) {
    std::string out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        const std::string directive = "#include \"";
        if (line.rfind(directive, 0) == 0) {
            size_t end = line.find('"', directive.size());
            std::string file = line.substr(directive.size(), end - directive.size());
            if (end != std::string::npos && fs::path(file).is_relative())
                line = directive + fs::weakly_canonical(dir / file).string() + line.substr(end);
        }
        out += line + '\n';
    }
    if (!text.empty() && text.back() != '\n')
        out.pop_back();
    return out;
}

std::string merge_program(const std::string& template_text,
                          const std::vector<InjectedFunction>& functions,
                          const fs::path& template_dir) {
    std::string includes, instances, dispatch;
    std::set<std::string> seen_controls;
    for (const auto& f : functions) {
        if (seen_controls.insert(f.control).second) {
            includes += "// ---- injected function control '" + f.control + "'\n" + f.source;
            if (!f.source.empty() && f.source.back() != '\n')
                includes += '\n';
        }
        std::string inst = "fn_" + std::to_string(f.slot);
        instances += "    " + f.control + "() " + inst + ";\n";
        dispatch += "        if (slot == " + std::to_string(f.slot) + ") " + inst +
                    ".apply(hdr, local_metadata, standard_metadata);\n";
    }
    std::string program =
        template_dir.empty() ? template_text : anchor_includes(template_text, template_dir);
    replace_marker_line(program, kIncludeMarker, includes);
    replace_marker_line(program, kInstanceMarker, instances);
    replace_marker_line(program, kDispatchMarker, dispatch);
    return program;
}

CompileDeploymentResult compile_deployment(const Deployment& d,
                                           const CompileDeploymentOptions& options) {
    CompileDeploymentResult result;
    p4::CompileOptions copts = options.compile;
    copts.build_dir = options.build_dir;
    fs::create_directories(options.build_dir);

    json functions = json::array();
    std::map<std::string, std::vector<InjectedFunction>> per_switch;
    std::map<std::string, std::vector<p4::DeviceConfigFunction>> device_functions;
    std::map<std::string, std::string> sources;  // file -> text, read once
    for (const auto& f : d.functions) {
        if (f.spec.type != FunctionType::P4)
            continue;
        auto start = std::chrono::steady_clock::now();
        p4::CompiledFunction c = p4::compile_function(f.spec.file, f.spec.control, copts);
        double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count();
        (c.cached ? result.cached : result.compiled)++;
        spdlog::debug("{}/{}: {} in {:.1f} ms", f.chain, f.spec.name,
                      c.cached ? "cached" : "compiled", ms);
        // Throws on the first entry that does not fit; the switch writes them before the slot
        // serves (device config `entries`).
        std::vector<p4::EntrySpec> entries = resolve_entries(f, c.p4info);
        functions.push_back({{"chain", f.chain},
                             {"name", f.spec.name},
                             {"object", fs::absolute(c.object_path).string()},
                             {"p4info", fs::absolute(c.p4info_path).string()},
                             {"hash", hash_file(c.object_path.string())},
                             {"cached", c.cached}});
        auto it = sources.find(f.spec.file);
        if (it == sources.end())
            it = sources.emplace(f.spec.file, read_file(f.spec.file)).first;
        per_switch[f.node].push_back({f.slot, c.control, it->second});
        p4::DeviceConfigFunction dc;
        dc.slot = f.slot;
        dc.name = f.chain + "/" + f.spec.name;
        dc.control = c.control;
        dc.object = read_file(c.object_path.string());
        dc.hash = fnv1a_hex(dc.object);
        dc.program = c.p4info.value("program", "chima_function");
        dc.p4info = c.p4info;
        dc.entries = std::move(entries);
        {
            p4::Diagnostics diags;  // checked already by compile_function
            auto fn =
                p4::check_function(it->second, f.spec.file, c.control, copts.front_end, diags);
            diags.throw_if_any();
            dc.p4runtime_info = p4::p4runtime_info(fn, f.slot);
        }
        device_functions[f.node].push_back(std::move(dc));
    }

    // A p4runtime switch gets a pipeline even without P4 functions: the template alone.
    for (const auto& s : d.topology.switches)
        if (s.target == SwitchTarget::P4Runtime)
            per_switch[s.name];

    fs::path tmpl = options.template_file;
    if (tmpl.empty())
        tmpl = p4::default_p4_include_dir().parent_path() / "chima.p4";
    std::string template_text = read_file(tmpl.string());
    fs::path tmpl_dir = fs::absolute(tmpl).parent_path();
    auto p4c = process::find_program(options.p4c);
    if (!p4c && !per_switch.empty())
        spdlog::info(
            "{} is not on PATH: merged v1model programs are checked by chima-compile's front end "
            "only",
            options.p4c);
    fs::path p4_dir = options.build_dir / "p4";
    fs::create_directories(p4_dir);
    // Everything is checked before the first file is written (nothing changed on bad input).
    struct SwitchOutput {
        std::string merged;
        json p4info, device_config;
    };
    std::map<std::string, SwitchOutput> outputs;
    json template_p4info = template_p4runtime_info(template_text, tmpl.string(), copts.front_end);
    p4::DeviceConfig base_config;
    base_config.template_name = tmpl.filename().string();
    base_config.template_hash = fnv1a_hex(template_text);
    for (auto& [sw, fns] : per_switch) {
        std::sort(fns.begin(), fns.end(),
                  [](const auto& a, const auto& b) { return a.slot < b.slot; });
        std::string merged = merge_program(template_text, fns, tmpl_dir);
        fs::path file = fs::absolute(p4_dir / (sw + ".p4"));
        p4::Diagnostics diags;
        auto prog = p4::check_program(merged, file.string(), copts.front_end, diags);
        if (!diags.empty()) {
            std::vector<InputError> errors;
            for (const auto& dg : diags.list())
                errors.emplace_back("switch '" + sw + "': merged program: " + dg.str());
            write_file_atomic(file.string() + ".rejected", merged);  // for a look, never used
            throw InputErrors(std::move(errors));
        }
        p4::DeviceConfig config = base_config;
        config.functions = device_functions[sw];
        std::sort(config.functions.begin(), config.functions.end(),
                  [](const auto& a, const auto& b) { return a.slot < b.slot; });
        outputs[sw] = {std::move(merged), p4::p4runtime_info(*prog), p4::to_json(config)};
    }
    json switches = json::array();
    fs::path template_info_file = fs::absolute(p4_dir / "template.p4info.json");
    write_file_atomic(template_info_file.string(), template_p4info.dump(2) + "\n");
    for (const auto& [sw, out] : outputs) {
        fs::path file = fs::absolute(p4_dir / (sw + ".p4"));
        fs::path info_file = fs::absolute(p4_dir / (sw + ".p4info.json"));
        fs::path config_file = fs::absolute(p4_dir / (sw + ".device-config.json"));
        write_file_atomic(file.string(), out.merged);
        write_file_atomic(info_file.string(), out.p4info.dump(2) + "\n");
        write_file_atomic(config_file.string(), out.device_config.dump() + "\n");
        const Switch* topo_sw = d.topology.find_switch(sw);
        bool p4runtime = topo_sw && topo_sw->target == SwitchTarget::P4Runtime;
        json entry = {{"name", sw},
                      {"target", to_string(topo_sw ? topo_sw->target : SwitchTarget::Ebpf)},
                      {"p4", file.string()},
                      {"p4info", info_file.string()},
                      {"device_config", config_file.string()},
                      {"p4c", "skipped"}};
        if (p4c) {
            P4cOutputs compiled = run_p4c(*p4c, file, sw);
            entry["p4c"] = "ok";
            entry["bmv2_json"] = compiled.device_config.string();
            entry["p4c_p4info"] = compiled.p4info.string();
        } else if (p4runtime) {
            spdlog::warn(
                "switch '{}' is a p4runtime switch and {} is not on PATH: no device config for "
                "it (chima-install cannot push its pipeline)",
                sw, options.p4c);
        }
        switches.push_back(std::move(entry));
    }

    result.artifacts = new_state(kArtifactsKind, kArtifactsVersion);
    result.artifacts["deployment"] = d.id;
    result.artifacts["functions"] = functions;
    result.artifacts["switches"] = switches;
    result.artifacts["template"] = {{"p4", fs::absolute(tmpl).string()},
                                    {"p4info", template_info_file.string()}};
    result.artifacts["compiled"] = result.compiled;
    result.artifacts["cached"] = result.cached;
    return result;
}

}  // namespace chima::deploy
