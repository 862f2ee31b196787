// The routes an operator's console needs beyond reading events (issue #20):
// the store's totals, and replaying a subscription's parked events. Both
// run on a read thread (Stats walks the store directory).

#include "http_handler.h"
#include "json/event_json.h"

namespace evlog::server {

namespace http = net::http;

HttpResponse HttpHandler::Stats(const HttpTarget& target) {
  if (auto bad = CheckParams(target, {})) return std::move(*bad);
  Result<StoreStats> stats = dispatcher_.store().Stats();
  if (!stats.ok()) return HttpStatusError(stats.status());
  json::ObjectText j;
  j.Number("events", stats->appended)
      .Number("streams", stats->streams)
      .Number("last_position", stats->last_position.value())
      .Number("disk_bytes", stats->disk_bytes);
  return HttpJson(http::status::ok, j.Finish());
}

HttpResponse HttpHandler::ReplayParked(const std::string& subscription, const HttpTarget& target) {
  if (auto bad = CheckParams(target, {})) return std::move(*bad);
  Result<uint64_t> replayed = dispatcher_.store().ReplayParked(subscription);
  if (!replayed.ok()) return HttpStatusError(replayed.status());
  json::ObjectText j;
  j.String("subscription", subscription).Number("replayed", *replayed);
  return HttpJson(http::status::ok, j.Finish());
}

}  // namespace evlog::server
