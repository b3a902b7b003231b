#include "chima/deploy/devices.hpp"

#include <filesystem>

#include "chima/deploy/compile_deployment.hpp"
#include "chima/error.hpp"
#include "chima/p4/checker.hpp"
#include "chima/p4/compiler.hpp"
#include "chima/p4/p4runtime_info.hpp"
#include "chima/state_file.hpp"

namespace chima::deploy {

namespace fs = std::filesystem;

nlohmann::json template_p4runtime_info(const std::string& template_text,
                                       const std::string& template_file,
                                       const p4::FrontEndOptions& front_end) {
    p4::Diagnostics diags;
    fs::path dir = fs::absolute(template_file).parent_path();
    auto program =
        p4::check_program(merge_program(template_text, {}, dir), template_file, front_end, diags);
    if (!diags.empty())
        throw InputError(template_file + ": " + diags.list().front().str());
    return p4::p4runtime_info(*program);
}

nlohmann::json template_p4runtime_info() {
    fs::path tmpl = p4::default_p4_include_dir().parent_path() / "chima.p4";
    return template_p4runtime_info(read_file(tmpl.string()), tmpl.string());
}

std::unique_ptr<device::DeviceRegistry> open_devices(const std::string& net,
                                                     const Topology& topology,
                                                     const container::BackendOptions& containers,
                                                     remote::RemoteAccess access) {
    if (!access.template_p4info)
        access.template_p4info = [] { return template_p4runtime_info(); };
    return remote::open_network_devices(net, topology, containers, access);
}

}  // namespace chima::deploy
