// ExpositionParser: a strict reader of the Prometheus text exposition
// format 0.0.4, for tests of server/prometheus. It refuses what a
// Prometheus server would refuse, and what the format says must hold:
//  - metric names [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*
//    (not starting with "__"), label values with only \\ \" \n escapes, no
//    label twice in a sample;
//  - at most one HELP and one TYPE per family, TYPE before its samples,
//    a family's samples contiguous, no sample (name and labels) twice;
//  - values: a decimal or exponent float, +Inf, -Inf or NaN;
//  - histograms: per label set, _bucket lines with an le label in
//    ascending order and non-decreasing counts, ending with le="+Inf",
//    whose count equals _count; _sum and _count present.

#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "evlog/status.h"

namespace evlog::testutil {

struct ExpositionSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct ExpositionFamily {
  std::string name;
  // counter, gauge, histogram, summary or untyped (no TYPE line).
  std::string type = "untyped";
  std::string help;
  std::vector<ExpositionSample> samples;
};

// Every family of `text`, in order. InvalidArgument naming the line for
// the first violation.
Result<std::vector<ExpositionFamily>> ParseExposition(std::string_view text);

}  // namespace evlog::testutil
