#include "chima/collector/ewma.hpp"

#include <cmath>
#include <sstream>

#include "chima/collector.h"
#include "chima/error.hpp"

namespace chima::collector {

std::uint64_t alpha_to_q32(double alpha) {
    if (!(alpha > 0.0 && alpha <= 1.0)) {
        std::ostringstream msg;
        msg << "alpha " << alpha << " is outside (0, 1]";
        throw InputError(msg.str(), "the paper's figures use 0.125 (2^-3)");
    }
    auto q =
        static_cast<std::uint64_t>(std::llround(alpha * static_cast<double>(CHIMA_EWMA_ALPHA_ONE)));
    return q == 0 ? 1 : q;  // the smallest positive alpha still moves the average
}

void EwmaReference::add(double sample_ns) {
    if (samples_ == 0) {
        latency_ = sample_ns;
        jitter_ = 0;
    } else {
        latency_ = (1 - alpha_) * latency_ + alpha_ * sample_ns;
        jitter_ = (1 - alpha_) * jitter_ + alpha_ * std::fabs(sample_ns - last_);
    }
    last_ = sample_ns;
    ++samples_;
}

}  // namespace chima::collector
