// The P4Info chima-compile's generator writes for the template pipeline (p4/chima.p4), alone
// or with functions injected, so tests address the switch by the names and ids a controller
// gets and can never drift from the template.
#pragma once

#include <vector>

#include "chima/deploy/compile_deployment.hpp"
#include "p4/config/v1/p4info.pb.h"

namespace chima::test {

// The P4Info of the template with `functions` injected (names
// ChimaIngress.functions.fn_<slot>.*), as chima-compile writes it for a switch: the merged
// program checked by the front end, then chima::p4::p4runtime_info. RuntimeError when the
// template cannot be read or the merged program does not check.
::p4::config::v1::P4Info merged_p4info(const std::vector<deploy::InjectedFunction>& functions);

// The template's own P4Info (no functions: chima-compile's template.p4info.json), built once.
const ::p4::config::v1::P4Info& template_p4info();

}  // namespace chima::test
