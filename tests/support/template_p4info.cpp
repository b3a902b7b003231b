#include "template_p4info.hpp"

#include <google/protobuf/util/json_util.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "chima/error.hpp"
#include "chima/p4/checker.hpp"
#include "chima/p4/p4runtime_info.hpp"

namespace chima::test {

::p4::config::v1::P4Info merged_p4info(const std::vector<deploy::InjectedFunction>& functions) {
    std::filesystem::path tmpl = p4::default_p4_include_dir().parent_path() / "chima.p4";
    std::ifstream in(tmpl);
    if (!in)
        throw RuntimeError("cannot read the template " + tmpl.string());
    std::string text{std::istreambuf_iterator<char>(in), {}};
    p4::Diagnostics diags;
    auto program = p4::check_program(deploy::merge_program(text, functions, tmpl.parent_path()),
                                     tmpl.string(), p4::FrontEndOptions{}, diags);
    if (!diags.empty())
        throw RuntimeError("the merged program: " + diags.list().front().str());
    ::p4::config::v1::P4Info info;
    auto status =
        google::protobuf::util::JsonStringToMessage(p4::p4runtime_info(*program).dump(), &info);
    if (!status.ok())
        throw RuntimeError("P4Info JSON: " + status.ToString());
    return info;
}

const ::p4::config::v1::P4Info& template_p4info() {
    static const ::p4::config::v1::P4Info info = merged_p4info({});
    return info;
}

}  // namespace chima::test
