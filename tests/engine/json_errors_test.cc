// The errors a user sees for bad event, body and query JSON (the CLI's
// lines, evlogd's HTTP bodies, --fail-if and POST /query), word for word:
// users and scripts read them, so a change to how objects are parsed must
// leave them as they are.

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "json/event_json.h"
#include "json/query_json.h"

namespace evlog::json {
namespace {

using Cases = std::vector<std::pair<std::string, std::string>>;

TEST(JsonErrors, EventLinesNameWhatIsWrongAndWhere) {
  const Cases cases = {
      {R"({"type":"T","data":1,"x":2})", "line 1: unknown field \"x\""},
      {R"({"type":"T","type":"U","data":1})", "line 1: field \"type\" is given twice"},
      {R"({"type" "T","data":1})", "line 1: not valid JSON: expected ':' after \"type\""},
      {R"({"type":"T" "data":1})", "line 1: not valid JSON: expected ',' or '}' at offset 12"},
      {R"({"type":"T","data":1)", "line 1: not valid JSON: expected ',' or '}' at offset 20"},
      {R"({1:2})", "line 1: not valid JSON: expected a string key at offset 1"},
      {R"({"type":"T",})", "line 1: not valid JSON: expected a string key at offset 12"},
      {R"({"\x":1})", "line 1: not valid JSON: bad escape at offset 2"},
      {R"({"type":"T","data":[1,})",
       "line 1: event data is not valid JSON: unexpected '}' at offset 22"},
      {R"({"type":"T","data":1,"metadata":{"a":})",
       "line 1: event metadata is not valid JSON: unexpected '}' at offset 37"},
      {R"({"type":"T","data":1,"id":tru})",
       "line 1: field \"id\" is not valid JSON: unexpected 't' at offset 26"},
      {R"({"type":"T","data":1,"tags":[1})",
       "line 1: field \"tags\" is not valid JSON: unexpected '}', expected ',' or ']' at offset "
       "30"},
      {R"({"type":1,"data":1})", "line 1: \"type\" must be a string"},
      {R"({"type":"T","data":1,"id":2})", "line 1: \"id\" must be a string"},
      {R"({"type":"T","data":1,"tags":[1]})", "line 1: \"tags\" must be an array of strings"},
      {R"({"type":"T","data":1,"tags":"a"})", "line 1: \"tags\" must be an array of strings"},
      {R"({"data":1})", "line 1: \"type\" must be a string"},
      {R"({"type":"T"})", "line 1: \"data\" is missing"},
      {R"({})", "line 1: \"type\" must be a string"},
      {R"({"type":"","data":1})", "line 1: event type is empty"},
      {R"({"type":"T","data":1,"id":"nope"})", "line 1: event id is not a UUID: nope"},
      {R"({"type":"T","data":[[[1]]]})", "line 1: event data nests deeper than 2 levels"},
      {R"({"type":"T","data":1} x)",
       "line 1: not valid JSON: unexpected bytes after the object at offset 22"},
  };
  for (const auto& [line, message] : cases) {
    EventData event;
    Status s = EventFromLine(line, 1, &event, 2);
    EXPECT_TRUE(s.IsInvalidArgument()) << line;
    EXPECT_EQ(s.message(), message) << line;
  }
}

// Each body's error, and whether it is a syntax error (HTTP's bad_json).
TEST(JsonErrors, AppendBodiesNameTheEventOrMemberThatIsWrong) {
  const std::vector<std::tuple<std::string, bool, std::string>> cases = {
      {R"([{"type":"T","data":1},{"type":"T","data":1,"x":2}])", false,
       "event 1: unknown field \"x\""},
      {R"({"type":"T","type":"U","data":1})", false, "event 0: field \"type\" is given twice"},
      {R"({"type":"T","data":[[[1]]]})", false, "event 0: event data nests deeper than 2 levels"},
      {R"([{"type":"T","data":1}, {"type":1,"data":1}])", false,
       "event 1: \"type\" must be a string"},
      {R"({"events":[{"type":"T","data":1}],"condition":{"fail_if_events_match":{"items":[]}},"x":1})",
       false, "the body has an unknown member \"x\""},
      {R"({"events":[],"events":[]})", false, "the body has \"events\" twice"},
      {R"({"events":{},"condition":{"fail_if_events_match":{"items":[]}}})", true,
       "the body's \"events\" must be an array of events"},
      {R"({"condition":{"fail_if_events_match":{"items":[]}}})", false,
       "the body has no \"events\""},
      {R"({"events":[{"type":"T","data":1,"x":2}]})", false, "event 0: unknown field \"x\""},
      {R"({"events":[],"condition":{"after":1}})", false,
       "the condition has no \"fail_if_events_match\", \"event_types\" or \"categories\""},
      {R"({"events":[],"condition":{"fail_if_events_match":{"items":[]},"befor":1}})", false,
       "the condition has an unknown member \"befor\""},
      {R"({"events":[],"condition":{"fail_if_events_match":{"itemz":[]}}})", false,
       "the query has an unknown member \"itemz\""},
      {R"({"events":[],"condition":{"fail_if_events_match":{"items":[{"tags":["a"],"tags":[]}]}}})",
       false, "query item 0 has \"tags\" twice"},
      {R"({"events":[],"condition":{"fail_if_events_match":{"items":[1]}}})", false,
       "query item 0 must be a JSON object"},
      {R"({"events":[],"condition":{"fail_if_events_match":[]}})", false,
       "the query must be a JSON object"},
      {R"({"events":[],"condition":1})", false, "the condition must be a JSON object"},
  };
  for (const auto& [body, syntax, message] : cases) {
    std::vector<EventData> events;
    std::optional<AppendCondition> condition;
    bool is_syntax = false;
    Status s = IsAppendEnvelope(body) ? AppendFromEnvelope(body, &events, &condition, &is_syntax, 2)
                                      : EventsFromBody(body, &events, &is_syntax, 2);
    EXPECT_TRUE(s.IsInvalidArgument()) << body;
    EXPECT_EQ(s.message(), message) << body;
    EXPECT_EQ(is_syntax, syntax) << body;
  }
}

// The streams form says what is wrong in the words of the envelope form, and
// a list that is not an array is the body's shape (syntax), in both.
TEST(JsonErrors, StreamsBodiesNameWhatIsWrongAsTheEnvelopeDoes) {
  struct Case {
    std::string body;
    bool syntax;
    std::string message;
  };
  const std::vector<Case> cases = {
      {R"({"streams":{}})", true, "the body's \"streams\" must be an array of objects"},
      {R"({"events":{}})", true, "the body's \"events\" must be an array of events"},
      {R"({"streams":[],"streams":[]})", false, "the body has \"streams\" twice"},
      {R"({"condition":{"event_types":["A"]}})", false,
       "the body has no \"streams\": send {\"streams\":[{\"stream\":..,\"expect\":..,"
       "\"events\":[..]}, ..]}"},
      {R"({"streams":[],"condition":1})", false, "the condition must be a JSON object"},
  };
  for (const auto& [body, syntax, message] : cases) {
    bool is_syntax = false;
    Status s;
    if (body.find("\"events\"") != std::string::npos) {
      std::vector<EventData> events;
      std::optional<AppendCondition> condition;
      s = AppendFromEnvelope(body, &events, &condition, &is_syntax, 2);
    } else {
      AppendRequest request;
      s = AppendFromStreamsBody(body, &request, &is_syntax, 2);
    }
    EXPECT_TRUE(s.IsInvalidArgument()) << body;
    EXPECT_EQ(s.message(), message) << body;
    EXPECT_EQ(is_syntax, syntax) << body;
  }
}

TEST(JsonErrors, QueriesNameTheItemOrMemberThatIsWrong) {
  const Cases cases = {
      {R"([])", "the query must be a JSON object"},
      {R"({"itemz":[]})", "the query has an unknown member \"itemz\""},
      {R"({"items":[],"items":[]})", "the query has \"items\" twice"},
      {R"({"items":{}})", "the query's \"items\" must be an array of objects"},
      {R"({})", "the query has no \"items\""},
      {R"({"items":[{"types":["A"],"tagz":[]}]})", "query item 0 has an unknown member \"tagz\""},
      {R"({"items":[{"types":1}]})", "query item 0 \"types\" must be an array of strings"},
      {R"({"items":[{"tags":["a",2]}]})", "query item 0 \"tags\" must be an array of strings"},
      {R"({"items":[1]})", "query item 0 must be a JSON object"},
      {R"({"items":[{},{"types":[],"types":[]}]})", "query item 1 has \"types\" twice"},
      {R"({"items":[] x)",
       "the query is not valid JSON: unexpected 'x', expected ',' or '}' at offset 12"},
  };
  for (const auto& [text, message] : cases) {
    Query query;
    Status s = QueryFromJson(text, &query);
    EXPECT_TRUE(s.IsInvalidArgument()) << text;
    EXPECT_EQ(s.message(), message) << text;
  }
}

}  // namespace
}  // namespace evlog::json
