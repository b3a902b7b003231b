// EWMA of delay and jitter (paper eq. 1): the double-precision reference the fixed-point
// version in chima/collector.h is checked against, and alpha's conversion to fixed point.
#pragma once

#include <cstdint>

namespace chima::collector {

// alpha in (0, 1] as the 32.32 fraction the XDP program uses; throws InputError otherwise.
std::uint64_t alpha_to_q32(double alpha);

class EwmaReference {
  public:
    explicit EwmaReference(double alpha) : alpha_(alpha) {}

    // Same rule as chima_segment_apply_sample: the first sample sets the average and a
    // zero jitter; later ones smooth delay and |d_p - previous d_p|.
    void add(double sample_ns);

    double latency_ns() const { return latency_; }
    double jitter_ns() const { return jitter_; }
    std::uint64_t samples() const { return samples_; }

  private:
    double alpha_;
    double latency_ = 0;
    double jitter_ = 0;
    double last_ = 0;
    std::uint64_t samples_ = 0;
};

}  // namespace chima::collector
