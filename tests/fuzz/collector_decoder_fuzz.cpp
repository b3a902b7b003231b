// libFuzzer target: the user-space telemetry report decoder (the parser the XDP program
// runs, from bpf/include/chima/int.h) and the sample extraction on arbitrary frames.
// Besides ASan's memory checks it asserts what a decoded report must satisfy.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "chima/collector/report_decoder.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace chima::collector;
    std::span<const std::uint8_t> frame(data, size);
    for (std::uint16_t port :
         {static_cast<std::uint16_t>(CHIMA_INT_REPORT_UDP_PORT),
          static_cast<std::uint16_t>(size >= 38 ? (data[36] << 8) | data[37] : 0)}) {
        DecodedReport d = decode_report(frame, port);
        if (d.status >= CHIMA_REPORT_STATUS_COUNT)
            std::abort();
        if (status_name(d.status) == "unknown")
            std::abort();
        if (!d.ok())
            continue;
        const chima_report& r = d.report;
        if (r.hop_count > CHIMA_INT_MAX_HOPS)
            std::abort();
        std::size_t stack_end = r.int_offset + CHIMA_INT_SHIM_BYTES + CHIMA_INT_MD_HEADER_BYTES +
                                static_cast<std::size_t>(r.hop_count) * CHIMA_INT_HOP_BYTES;
        if (stack_end > size)
            std::abort();
        if (r.shim.length != CHIMA_INT_HEADER_WORDS + CHIMA_INT_HOP_WORDS * r.hop_count)
            std::abort();
        auto samples = segment_samples(r);
        if (r.hop_count > 0 && samples.size() > r.hop_count - 1u)
            std::abort();
        for (const auto& s : samples) {
            if (s.key.kind == CHIMA_SEGMENT_LINK &&
                (s.key.a > CHIMA_INT_SWITCH_ID_MASK || s.key.b > CHIMA_INT_SWITCH_ID_MASK))
                std::abort();
            (void)segment_id(s.key);
        }
    }
    return 0;
}
