// The eBPF back end: one checked function -> C source for a function slot
// (bpf/include/chima/pipeline.h). Values are held in 64-bit registers and masked to their
// declared width after every operation; int<W> is sign-extended where the sign matters.
#pragma once

#include <string>

#include "chima/p4/layout.hpp"

namespace chima::p4 {

std::string emit_ebpf_c(const CheckedFunction& fn, const FunctionLayout& layout);

}  // namespace chima::p4
