#include <filesystem>
#include <map>
#include <spdlog/spdlog.h>

#include "chima/model/legacy.hpp"
#include "chima/segment_id.hpp"
#include "chima/state_file.hpp"
#include "chima/yaml/yaml_view.hpp"

namespace chima {

namespace {

Nanoseconds micros(const YamlView& v) {
    int64_t us = v.integer(1, int64_t(1) << 40);
    return us * 1000;
}

std::optional<SlaSection> legacy_sla(const YamlView& v) {
    SlaSection s;
    if (auto l = v.get("latency"))
        s.latency = micros(*l);
    if (auto j = v.get("jitter"))
        s.jitter = micros(*j);
    if (s.empty())
        return std::nullopt;
    return s;
}

// The build context or image a prototype compose file names for its first service.
void read_compose(Function& f, const YamlView& file_key) {
    std::string path = file_key.path();
    std::error_code ec;
    auto status = std::filesystem::status(path, ec);
    if (ec && ec != std::errc::no_such_file_or_directory && ec != std::errc::not_a_directory)
        file_key.fail("compose file " + path + ": " + ec.message());
    if (std::filesystem::exists(status) && !std::filesystem::is_regular_file(status))
        file_key.fail("compose file " + path + " is not a regular file");
    if (!std::filesystem::exists(status)) {
        // The prototype's compose files and Dockerfiles often live outside this tree: run
        // the example function of the same name instead.
        std::string fallback = std::string(CHIMA_DEFAULT_ROOT) + "/examples/functions/" + f.name;
        if (const char* root = std::getenv("CHIMA_ROOT"))
            fallback = std::string(root) + "/examples/functions/" + f.name;
        spdlog::warn("{}: compose file {} not found; using {}", file_key.mark().str(), path,
                     fallback);
        f.build = fallback;
        return;
    }
    YamlView compose = YamlView::load_file(path);
    auto services = compose.at("services").expect_map("services").entries();
    if (services.empty())
        compose.at("services").fail("no services");
    const YamlView& svc = services.front().second;
    if (auto image = svc.get("image"))
        f.image = image->str();
    if (auto build = svc.get("build")) {
        if (build->is_map()) {
            f.build = build->at("context").path();
            if (auto df = build->get("dockerfile"))
                f.env["CHIMA_CONTAINERFILE"] = df->str();
        } else {
            f.build = build->path();
        }
    }
    if (f.image.empty() && f.build.empty())
        svc.fail("service has neither image nor build");
}

std::string chain_name_for(const std::string& service_path) {
    namespace fs = std::filesystem;
    std::string dir = fs::absolute(service_path).parent_path().filename().string();
    return is_valid_name(dir) ? dir : "chain";
}

// "device:bmv2:s11" -> the topology's switch name (s11, else s1); "10.0.0.101" -> host.
std::string resolve_device(const Topology& topo, const YamlView& v) {
    std::string dev = v.str();
    if (auto ip = Ipv4::parse(dev)) {
        if (const Host* h = topo.find_host_by_ip(*ip))
            return h->name;
        v.fail("no host with address " + dev + " in the topology");
    }
    std::string name = dev.substr(dev.rfind(':') == std::string::npos ? 0 : dev.rfind(':') + 1);
    if (topo.find_switch(name))
        return name;
    // The prototype's s<i><i> naming: s11 -> s1, s00 -> s0.
    if (name.size() >= 3 && name[0] == 's' && name.size() % 2 == 1) {
        std::string half = name.substr(1, (name.size() - 1) / 2);
        if (name.substr(1) == half + half && topo.find_switch("s" + half))
            return "s" + half;
    }
    v.fail("unknown device '" + dev + "'");
}

void check_stack(const YamlView& stack) {
    for (const auto& entry : stack.expect_seq("stack").items()) {
        entry.expect_map("a stack entry");
        std::string type = entry.at("type").str();
        if (type != "port" && type != "function" && type != "timestamp") {
            entry.at("type").fail("unknown stack entry type '" + type +
                                  "' (expected port, function or timestamp)");
        }
        entry.at("value").integer(0, CHIMA_SID_ARG_MAX);
    }
}

}  // namespace

LegacyImport import_legacy(const Topology& topo, const std::string& service_path,
                           const std::optional<std::string>& dep_path) {
    YamlView root = YamlView::load_file(service_path);
    root.expect_map("legacy service file");
    root.allow_keys({"service", "functions"});
    Chain chain;
    chain.name = chain_name_for(service_path);
    chain.mark = root.mark();
    const YamlView svc = root.at("service");
    svc.expect_map("service");
    chain.client.mark = svc.mark();
    chain.client.ip = svc.at("client").ipv4();
    if (auto p = svc.get("port"))
        chain.client.port = static_cast<uint16_t>(p->integer(1, 65535));
    if (auto sla = legacy_sla(svc))
        chain.sla = *sla;

    std::optional<YamlView> dep;
    if (dep_path) {
        dep = YamlView::load_file(*dep_path);
        dep->expect_map("legacy deployment file");
    }
    std::optional<YamlView> dep_functions;
    if (dep && dep->has("functions"))
        dep_functions = dep->at("functions").expect_map("functions");

    std::vector<Function> functions;
    std::vector<std::pair<std::string, SourceMark>> next;
    std::vector<int64_t> ids;
    bool any_next = false;
    for (const auto& [key, v] : root.at("functions").expect_map("functions").entries()) {
        v.expect_map("a function");
        Function f;
        f.name = key.name();
        f.mark = v.mark();
        std::string type = v.at("type").str();
        if (type == "switch") {
            f.type = FunctionType::P4;
            f.file = v.at("file").path();
            f.control = v.at("control").str();
        } else if (type == "container") {
            f.type = FunctionType::Container;
            read_compose(f, v.at("file"));
        } else {
            v.at("type").fail("unknown function type '" + type +
                              "' (expected switch or container)");
        }
        f.sla = legacy_sla(v);
        if (auto n = v.get("next")) {
            any_next = true;
            next.emplace_back(n->str(), n->mark());
        } else {
            next.emplace_back("", v.mark());
        }
        int64_t id = static_cast<int64_t>(functions.size()) + 1;
        if (dep_functions && dep_functions->has(f.name)) {
            const YamlView df = dep_functions->at(f.name);
            if (auto i = df.get("id"))
                id = i->integer(0, CHIMA_SID_ARG_MAX);
            if (auto ip = df.get("ip"))
                f.ip = ip->ipv4();
        }
        ids.push_back(id);
        functions.push_back(std::move(f));
    }
    if (functions.empty())
        root.at("functions").fail("no functions");
    if (any_next) {
        chain.functions = order_by_next(std::move(functions), next, root.at("functions").mark());
    } else {
        // The prototype processed functions in the order of their dep.yaml ids.
        std::vector<size_t> order(functions.size());
        for (size_t i = 0; i < order.size(); ++i)
            order[i] = i;
        std::stable_sort(order.begin(), order.end(),
                         [&](size_t a, size_t b) { return ids[a] < ids[b]; });
        for (size_t i : order)
            chain.functions.push_back(functions[i]);
    }

    LegacyImport out;
    out.service.file = service_path;
    out.service.chains.push_back(chain);
    if (dep_functions) {
        Placement p;
        p.file = *dep_path;
        for (const auto& [key, v] : dep_functions->entries()) {
            std::string name = key.str();
            bool known = false;
            for (const auto& f : chain.functions)
                known = known || f.name == name;
            if (!known)
                key.fail("dep.yaml names function '" + name + "' that service.yaml lacks");
            p.entries[name] =
                PlacementEntry{resolve_device(topo, v.at("device")), v.at("device").mark()};
            if (auto paths = v.get("paths")) {
                for (const auto& path : paths->expect_seq("paths").items()) {
                    path.at("dst").ipv4();
                    check_stack(path.at("stack"));
                }
            }
        }
        if (dep->has("path"))
            check_stack(dep->at("path"));
        out.placement = p;
    }
    return out;
}

}  // namespace chima
