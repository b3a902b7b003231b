#include "chima/container/compose_file.hpp"

#include <filesystem>

#include <yaml-cpp/yaml.h>

#include "chima/error.hpp"
#include "chima/state_file.hpp"

namespace chima::container {

std::string compose_yaml(const std::vector<FunctionSpec>& functions) {
    YAML::Emitter out;
    out << YAML::BeginMap << YAML::Key << "services" << YAML::Value << YAML::BeginMap;
    for (const auto& fn : functions) {
        out << YAML::Key << fn.name << YAML::Value << YAML::BeginMap;
        out << YAML::Key << "image" << YAML::Value << fn.image;
        out << YAML::Key << "container_name" << YAML::Value << fn.name;
        out << YAML::Key << "network_mode" << YAML::Value
            << (fn.netns.empty() ? std::string("host") : "ns:/run/netns/" + fn.netns);
        if (!fn.args.empty()) {
            out << YAML::Key << "command" << YAML::Value << YAML::Flow << fn.args;
        }
        if (!fn.env.empty()) {
            out << YAML::Key << "environment" << YAML::Value << YAML::BeginMap;
            for (const auto& [k, v] : fn.env) {
                out << YAML::Key << k << YAML::Value << YAML::DoubleQuoted << v;
            }
            out << YAML::EndMap;
        }
        // The same least privilege as our own runs (FunctionSpec::capabilities).
        out << YAML::Key << "cap_drop" << YAML::Value << YAML::Flow
            << std::vector<std::string>{"ALL"};
        if (!fn.capabilities.empty()) {
            std::vector<std::string> add;
            for (const auto& cap : fn.capabilities)
                add.push_back("CAP_" + cap);
            out << YAML::Key << "cap_add" << YAML::Value << YAML::Flow << add;
        }
        out << YAML::Key << "security_opt" << YAML::Value << YAML::Flow
            << std::vector<std::string>{"no-new-privileges"};
        out << YAML::Key << "read_only" << YAML::Value << true;
        // A list of "k=v": podman-compose 1.0 passes list items to --label as they are.
        auto labels = fn.labels;
        labels[kManagedLabel] = "1";
        labels[kFunctionLabel] = fn.name;
        out << YAML::Key << "labels" << YAML::Value << YAML::BeginSeq;
        for (const auto& [k, v] : labels)
            out << k + "=" + v;
        out << YAML::EndSeq;
        out << YAML::EndMap;
    }
    out << YAML::EndMap << YAML::EndMap;
    return "# Written by chima. Run: CONTAINERS_CONF=containers.conf podman-compose -f FILE up "
           "-d\n" +
           std::string(out.c_str()) + "\n";
}

std::vector<std::string> write_compose_files(
    const std::string& dir, const std::map<std::string, std::vector<FunctionSpec>>& by_host) {
    std::filesystem::create_directories(dir);
    write_containers_conf(dir);
    std::vector<std::string> paths;
    for (const auto& [host, functions] : by_host) {
        if (host.empty() || host.find('/') != std::string::npos) {
            throw InputError("compose: bad host name '" + host + "'");
        }
        std::string path = dir + "/" + host + ".compose.yaml";
        write_file_atomic(path, compose_yaml(functions));
        paths.push_back(path);
    }
    return paths;
}

}  // namespace chima::container
