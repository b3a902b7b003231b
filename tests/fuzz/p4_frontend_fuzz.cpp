// libFuzzer target: the P4 front end (lexer, parser, checker) and, for a function it
// accepts, the back end's layout, P4Info and generated C (clang is not run). The low bit of
// the first byte picks the mode ('0' a function over the prelude, '1' a whole program);
// the rest is the source. Diagnostics are the expected answer to bad input; anything
// thrown besides chima::InputError is a finding (fuzz_support.hpp), and so is a function
// accepted with diagnostics or refused without any.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "chima/p4/checker.hpp"
#include "chima/p4/ebpf_codegen.hpp"
#include "chima/p4/layout.hpp"
#include "fuzz_support.hpp"

namespace {

chima::p4::FrontEndOptions options() {
    const char* root = std::getenv("CHIMA_ROOT");
    std::string base = root && *root ? root : CHIMA_DEFAULT_ROOT;
    chima::p4::FrontEndOptions o;
    o.include_dir = base + "/p4/include";
    return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0)
        return 0;
    static const chima::p4::FrontEndOptions opts = options();
    const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
    chima::fuzz::expect_only_input_errors([&] {
        chima::p4::Diagnostics diags;
        if (data[0] & 1) {
            (void)chima::p4::check_program(text, "fuzz.p4", opts, diags);
            return;
        }
        chima::p4::CheckedFunction fn = chima::p4::check_function(text, "fuzz.p4", "", opts, diags);
        if ((fn.control != nullptr) == !diags.empty()) {
            std::fprintf(stderr, "FINDING: control %s with %zu diagnostics\n",
                         fn.control ? "returned" : "missing", diags.list().size());
            std::abort();
        }
        if (!fn.control)
            return;
        chima::p4::FunctionLayout layout = chima::p4::layout_function(fn);
        (void)chima::p4::emit_ebpf_c(fn, layout);
        (void)chima::p4::p4info_json(layout, fn);
    });
    return 0;
}
