// prometheus: renders a MetricsSnapshot in the Prometheus text exposition
// format, version 0.0.4 -- the body of evlogd's GET /metrics.
//
// A pure function: no sockets, no store. Serve the result with
// kPrometheusContentType. docs/metrics.md lists every metric it writes.

#pragma once

#include <string>
#include <string_view>

#include "evlog/metrics.h"

namespace evlog::server {

// What evlogd itself holds, beside the store's metrics.
struct DaemonGauges {
  // Binary-protocol sessions open now.
  uint64_t sessions = 0;
  // Response and push bytes queued for writing in those sessions.
  uint64_t queued_bytes = 0;
  // Sessions closed because their client took no bytes for the write timeout.
  uint64_t slow_consumers_closed = 0;
  // Consumers of hosted subscriptions open now: those of binary-protocol
  // sessions, and the leases of HTTP clients.
  uint64_t protocol_consumers = 0;
  uint64_t http_consumers = 0;
};

// The Content-Type of RenderPrometheus's output.
inline constexpr std::string_view kPrometheusContentType = "text/plain; version=0.0.4";

// Every metric of `metrics` with its HELP and TYPE lines: counters end in
// _total, histograms have cumulative _bucket{le="..."} lines ending with
// le="+Inf", then _sum and _count; per-subscription gauges carry a
// subscription="<name>" label (escaped as the format requires). Units are
// Prometheus base units (seconds, bytes). Lines end with '\n'. With
// `daemon`, its gauges follow as the evlogd_* families.
std::string RenderPrometheus(const MetricsSnapshot& metrics,
                             const DaemonGauges* daemon = nullptr);

}  // namespace evlog::server
