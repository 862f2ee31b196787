// metrics_json: the "metrics" object of `evlog stats`, the same embedded and
// through --connect. Keys are the MetricsSnapshot field names (see
// evlog/metrics.h); a histogram is
// {"upper_bounds":[...],"cumulative_counts":[...],"sum":S,"count":N}.

#pragma once

#include "evlog/metrics.h"
#include "json/event_json.h"

namespace evlog::cli {

using json::Json;

Json MetricsToJson(const MetricsSnapshot& metrics);

}  // namespace evlog::cli
