// The wire forms of retention (issue #17): SetStreamMetadata's force flag,
// and Trim / TrimOk carrying what a trim removed and what stopped it.

#include <gtest/gtest.h>

#include <string>

#include "frame.h"
#include "must_decode.h"
#include "protocol.h"

namespace evlog::server {
namespace {


TEST(ProtocolRetention, SetStreamMetadataCarriesForce) {
  for (bool force : {false, true}) {
    const Request r = MustDecode<Request>(
        EncodeRequest(
            Request{1, SetStreamMetadataRequest{"a-1", {.max_count = 2}, {.force = force}}}),
        DecodeRequest);
    const auto* s = std::get_if<SetStreamMetadataRequest>(&r.body);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->metadata.max_count, 2u);
    EXPECT_EQ(s->options.force, force);
  }
}

TEST(ProtocolRetention, TrimAndTrimOkRoundTripTheReason) {
  const Request r = MustDecode<Request>(
      EncodeRequest(Request{
          2,
          TrimRequest{"a-1",
                      {.before = Version(7), .retention_seconds = 60, .require_snapshot = false}}}),
      DecodeRequest);
  const auto* t = std::get_if<TrimRequest>(&r.body);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->stream, "a-1");
  EXPECT_EQ(t->options.before, Version(7));
  EXPECT_EQ(t->options.retention_seconds, 60u);
  EXPECT_FALSE(t->options.require_snapshot);

  const TrimResult sent{.first_kept = Version(3),
                        .removed = 2,
                        .limit = TrimLimit::kSubscription,
                        .held_by = "subscription 'billing'"};
  const Response ok = MustDecode<Response>(EncodeTrimResult(3, sent), DecodeResponse);
  EXPECT_EQ(ok.request_id, 3u);
  const auto* got = std::get_if<TrimResult>(&ok.body);
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(got->first_kept, Version(3));
  EXPECT_EQ(got->removed, 2u);
  EXPECT_EQ(got->limit, TrimLimit::kSubscription);
  EXPECT_EQ(got->held_by, "subscription 'billing'");
}

}  // namespace
}  // namespace evlog::server
