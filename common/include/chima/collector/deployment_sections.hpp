// From a deployment to what the collector watches: every SLA section with its segments
// (links by INT switch ids, container functions by function id) and thresholds.
#pragma once

#include <vector>

#include "chima/collector/collect_session.hpp"
#include "chima/collector/sections.hpp"
#include "chima/model/deployment.hpp"

namespace chima::collector {

// One WatchedSection per deployment section; segment names are Segment::key() ("s0-s1",
// "fn:toupper"), the chain is the section's chain.
std::vector<WatchedSection> sections_from_deployment(const Deployment& deployment);

// The chains' alpha (the first chain's: the XDP program has one) and poll interval (the
// shortest), for what the command line did not give.
void defaults_from_deployment(const Deployment& deployment, CollectOptions& options,
                              bool alpha_given, bool poll_given);

}  // namespace chima::collector
