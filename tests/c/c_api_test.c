/* The C API (evlog/c.h) from C: open, append with expected versions and
 * ids, a conflict and recovering from it (stream version, backward reads),
 * idempotent retries, read stream, read all, tags, queries (with a result
 * or a visitor) and conditions,
 * errors and frees. Each test prints its name; the first failed check ends the run
 * with exit 1. The stores live in a fresh directory under $TMPDIR (or /tmp),
 * removed at the end. */

#define _XOPEN_SOURCE 700

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evlog/c.h"

static const char* current = "";

#define CHECK(cond)                                                                         \
  do {                                                                                      \
    if (!(cond)) {                                                                          \
      fprintf(stderr, "%s:%d: %s: CHECK(%s) failed\n", __FILE__, __LINE__, current, #cond); \
      exit(1);                                                                              \
    }                                                                                       \
  } while (0)

#define CHECK_CODE(expr, code)                                                                  \
  do {                                                                                          \
    evlog_code_t got_ = (expr);                                                                 \
    if (got_ != (code)) {                                                                       \
      fprintf(stderr, "%s:%d: %s: %s gave %d, wanted %d\n", __FILE__, __LINE__, current, #expr, \
              (int)got_, (int)(code));                                                          \
      exit(1);                                                                                  \
    }                                                                                           \
  } while (0)

static char dir[4096];

static evlog_store_t* OpenStore(const char* name) {
  char path[4200];
  char* err = NULL;
  evlog_store_t* store;
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  store = evlog_open(path, &err);
  if (store == NULL) fprintf(stderr, "%s: evlog_open: %s\n", current, err);
  CHECK(store != NULL);
  CHECK(err == NULL);
  return store;
}

static evlog_event_t Event(const char* type, const char* data, const uint8_t* id) {
  evlog_event_t e;
  e.type = type;
  e.data = data;
  e.data_len = strlen(data);
  e.id = id;
  return e;
}

static void AppendThenReadStreamReturnsTheEvents(void) {
  evlog_store_t* store;
  evlog_events_t* result = NULL;
  evlog_event_t events[2];
  uint64_t first = 0;
  size_t len = 0;
  const char* data;
  current = "AppendThenReadStreamReturnsTheEvents";
  store = OpenStore("read");
  events[0] = Event("Placed", "{\"n\":1}", NULL);
  events[1] = Event("Paid", "\0bin", NULL);
  events[1].data_len = 4; /* data may hold NULs */
  CHECK_CODE(evlog_append(store, "order-1", EVLOG_EXPECT_NO_STREAM, events, 2, &first, NULL),
             EVLOG_OK);
  CHECK(first == 1);

  CHECK_CODE(evlog_read_stream(store, "order-1", 0, 100, &result, NULL), EVLOG_OK);
  CHECK(evlog_events_count(result) == 2);
  CHECK(strcmp(evlog_events_stream(result, 0), "order-1") == 0);
  CHECK(strcmp(evlog_events_type(result, 0), "Placed") == 0);
  data = evlog_events_data(result, 0, &len);
  CHECK(len == 7 && memcmp(data, "{\"n\":1}", 7) == 0);
  data = evlog_events_data(result, 1, &len);
  CHECK(len == 4 && memcmp(data, "\0bin", 4) == 0);
  CHECK(evlog_events_version(result, 1) == 2);
  CHECK(evlog_events_position(result, 1) == 2);
  CHECK(evlog_events_timestamp_us(result, 0) > 0);
  evlog_events_free(result);

  /* From version 2, at most 1. */
  CHECK_CODE(evlog_read_stream(store, "order-1", 2, 1, &result, NULL), EVLOG_OK);
  CHECK(evlog_events_count(result) == 1);
  CHECK(strcmp(evlog_events_type(result, 0), "Paid") == 0);
  evlog_events_free(result);
  evlog_close(store);
}

static void AWrongExpectedVersionWritesNothingAndSaysWhy(void) {
  evlog_store_t* store;
  evlog_events_t* result = NULL;
  evlog_event_t e = Event("T", "x", NULL);
  char* err = NULL;
  current = "AWrongExpectedVersionWritesNothingAndSaysWhy";
  store = OpenStore("conflict");
  CHECK_CODE(evlog_append(store, "s-1", EVLOG_EXPECT_ANY, &e, 1, NULL, NULL), EVLOG_OK);
  CHECK_CODE(evlog_append(store, "s-1", 5, &e, 1, NULL, &err), EVLOG_WRONG_EXPECTED_VERSION);
  CHECK(err != NULL);
  CHECK(strstr(err, "s-1") != NULL);
  /* A second error replaces the first message (freed by the API). */
  CHECK_CODE(evlog_append(store, "s-1", EVLOG_EXPECT_NO_STREAM, &e, 1, NULL, &err),
             EVLOG_WRONG_EXPECTED_VERSION);
  CHECK(err != NULL);
  evlog_free(err);
  err = NULL;
  CHECK_CODE(evlog_append(store, "s-2", EVLOG_EXPECT_STREAM_EXISTS, &e, 1, NULL, NULL),
             EVLOG_WRONG_EXPECTED_VERSION);
  CHECK_CODE(evlog_append(store, "s-1", 1, &e, 1, NULL, NULL), EVLOG_OK);
  CHECK_CODE(evlog_read_stream(store, "s-1", 0, 100, &result, NULL), EVLOG_OK);
  CHECK(evlog_events_count(result) == 2);
  evlog_events_free(result);
  evlog_close(store);
}

static void AfterAConflictTheVersionAndTheNewestEventsAreAtHand(void) {
  evlog_store_t* store;
  evlog_events_t* result = NULL;
  evlog_event_t events[3];
  uint64_t version = 99;
  size_t len = 99;
  const char* metadata;
  current = "AfterAConflictTheVersionAndTheNewestEventsAreAtHand";
  store = OpenStore("recover");
  events[0] = Event("Opened", "1", NULL);
  events[1] = Event("Deposited", "2", NULL);
  events[2] = Event("Withdrawn", "3", NULL);
  CHECK_CODE(evlog_stream_version(store, "acct-1", &version, NULL), EVLOG_OK);
  CHECK(version == 0);
  CHECK_CODE(evlog_append(store, "acct-1", EVLOG_EXPECT_NO_STREAM, events, 3, NULL, NULL),
             EVLOG_OK);
  CHECK_CODE(evlog_append(store, "acct-1", 1, events, 1, NULL, NULL),
             EVLOG_WRONG_EXPECTED_VERSION);
  CHECK_CODE(evlog_stream_version(store, "acct-1", &version, NULL), EVLOG_OK);
  CHECK(version == 3);

  /* Newest first, from the last version or from a given one. */
  CHECK_CODE(evlog_read_stream_backward(store, "acct-1", 0, 2, &result, NULL), EVLOG_OK);
  CHECK(evlog_events_count(result) == 2);
  CHECK(evlog_events_version(result, 0) == 3);
  CHECK(strcmp(evlog_events_type(result, 0), "Withdrawn") == 0);
  CHECK(evlog_events_version(result, 1) == 2);
  metadata = evlog_events_metadata(result, 0, &len);
  CHECK(metadata != NULL && len == 0);
  evlog_events_free(result);
  CHECK_CODE(evlog_read_stream_backward(store, "acct-1", 2, 10, &result, NULL), EVLOG_OK);
  CHECK(evlog_events_count(result) == 2);
  CHECK(evlog_events_version(result, 0) == 2 && evlog_events_version(result, 1) == 1);
  evlog_events_free(result);

  CHECK_CODE(evlog_append(store, "acct-1", (int64_t)version, events + 1, 1, NULL, NULL), EVLOG_OK);
  CHECK_CODE(evlog_stream_version(store, "acct-1", NULL, NULL), EVLOG_INVALID_ARGUMENT);
  CHECK_CODE(evlog_read_stream_backward(store, NULL, 0, 1, &result, NULL), EVLOG_INVALID_ARGUMENT);
  evlog_close(store);
}

static void RetryingTheSameIdsReturnsTheOriginalPositionOnce(void) {
  static const uint8_t id1[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  static const uint8_t id2[16] = {2, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  evlog_store_t* store;
  evlog_events_t* result = NULL;
  evlog_event_t events[2];
  uint64_t first = 0, again = 0;
  current = "RetryingTheSameIdsReturnsTheOriginalPositionOnce";
  store = OpenStore("dedup");
  events[0] = Event("T", "a", NULL);
  CHECK_CODE(evlog_append(store, "other", EVLOG_EXPECT_ANY, events, 1, NULL, NULL), EVLOG_OK);
  events[0] = Event("T", "a", id1);
  events[1] = Event("T", "b", id2);
  CHECK_CODE(evlog_append(store, "s", EVLOG_EXPECT_ANY, events, 2, &first, NULL), EVLOG_OK);
  CHECK(first == 2);
  CHECK_CODE(evlog_append(store, "s", EVLOG_EXPECT_ANY, events, 2, &again, NULL), EVLOG_OK);
  CHECK(again == first);
  /* Part of them again, with a new one: a conflict. */
  events[0] = Event("T", "c", NULL);
  CHECK_CODE(evlog_append(store, "s", EVLOG_EXPECT_ANY, events, 2, NULL, NULL),
             EVLOG_IDEMPOTENCY_CONFLICT);
  CHECK_CODE(evlog_read_stream(store, "s", 0, 100, &result, NULL), EVLOG_OK);
  CHECK(evlog_events_count(result) == 2);
  CHECK(memcmp(evlog_events_id(result, 0), id1, 16) == 0);
  CHECK(memcmp(evlog_events_id(result, 1), id2, 16) == 0);
  evlog_events_free(result);
  evlog_close(store);
}

static void ReadAllReturnsTheGlobalLogInPositionOrder(void) {
  evlog_store_t* store;
  evlog_events_t* result = NULL;
  evlog_event_t e = Event("T", "x", NULL);
  size_t i;
  current = "ReadAllReturnsTheGlobalLogInPositionOrder";
  store = OpenStore("all");
  for (i = 0; i < 6; ++i) {
    CHECK_CODE(evlog_append(store, i % 2 ? "odd-1" : "even-1", EVLOG_EXPECT_ANY, &e, 1, NULL, NULL),
               EVLOG_OK);
  }
  CHECK_CODE(evlog_read_all(store, 0, 100, &result, NULL), EVLOG_OK);
  CHECK(evlog_events_count(result) == 6);
  for (i = 0; i < 6; ++i) CHECK(evlog_events_position(result, i) == i + 1);
  CHECK(strcmp(evlog_events_stream(result, 1), "odd-1") == 0);
  evlog_events_free(result);
  CHECK_CODE(evlog_read_all(store, 5, 100, &result, NULL), EVLOG_OK);
  CHECK(evlog_events_count(result) == 2);
  CHECK(evlog_events_position(result, 0) == 5);
  evlog_events_free(result);
  CHECK_CODE(evlog_read_all(store, 2, 3, &result, NULL), EVLOG_OK);
  CHECK(evlog_events_count(result) == 3);
  evlog_events_free(result);
  evlog_close(store);
}

static void BadInputIsAnErrorNeverACrash(void) {
  evlog_store_t* store;
  evlog_store_t* second;
  evlog_events_t* result = NULL;
  evlog_event_t e = Event("T", "x", NULL);
  evlog_event_t no_type = Event("T", "x", NULL);
  char path[4200];
  char* err = NULL;
  current = "BadInputIsAnErrorNeverACrash";
  store = OpenStore("errors");
  CHECK_CODE(evlog_read_stream(store, "missing-1", 0, 10, &result, NULL), EVLOG_NOT_FOUND);
  CHECK(result == NULL);
  CHECK_CODE(evlog_append(store, "s", EVLOG_EXPECT_ANY, &e, 0, NULL, NULL), EVLOG_INVALID_ARGUMENT);
  CHECK_CODE(evlog_append(store, "", EVLOG_EXPECT_ANY, &e, 1, NULL, NULL), EVLOG_INVALID_ARGUMENT);
  CHECK_CODE(evlog_append(store, "$system", EVLOG_EXPECT_ANY, &e, 1, NULL, NULL),
             EVLOG_INVALID_ARGUMENT);
  CHECK_CODE(evlog_append(store, "s", -7, &e, 1, NULL, NULL), EVLOG_INVALID_ARGUMENT);
  no_type.type = NULL;
  CHECK_CODE(evlog_append(store, "s", EVLOG_EXPECT_ANY, &no_type, 1, NULL, NULL),
             EVLOG_INVALID_ARGUMENT);
  CHECK_CODE(evlog_append(store, NULL, EVLOG_EXPECT_ANY, &e, 1, NULL, NULL),
             EVLOG_INVALID_ARGUMENT);
  CHECK_CODE(evlog_read_all(NULL, 0, 10, &result, NULL), EVLOG_INVALID_ARGUMENT);
  /* Nothing of the above was written. */
  CHECK_CODE(evlog_read_all(store, 0, 10, &result, NULL), EVLOG_OK);
  CHECK(evlog_events_count(result) == 0);
  evlog_events_free(result);

  /* A second open of the same store is Busy, with a message. */
  snprintf(path, sizeof(path), "%s/errors", dir);
  second = evlog_open(path, &err);
  CHECK(second == NULL);
  CHECK(err != NULL && strstr(err, "busy") != NULL);
  evlog_free(err);
  evlog_close(store);
  evlog_close(NULL);
  evlog_events_free(NULL);
}

static void JsonDataIsCheckedAndComesBackAsTheExactBytes(void) {
  static const char* const texts[] = {"1180591620717411303424", "{\"k\":1,\"k\":2}",
                                      "{ \"a\" :  [1, 2] }", "1.0", "-0", "\"\\u00e9\""};
  enum { kTexts = sizeof(texts) / sizeof(texts[0]), kDeep = 100000 };
  evlog_store_t* store;
  evlog_events_t* result = NULL;
  evlog_event_t events[kTexts];
  evlog_event_t deep_event;
  char* deep = malloc(2 * kDeep + 1);
  char* err = NULL;
  size_t i, len = 0;
  const char* data;
  current = "JsonDataIsCheckedAndComesBackAsTheExactBytes";
  CHECK(deep != NULL);
  store = OpenStore("json");
  memset(deep, '[', kDeep);
  memset(deep + kDeep, ']', kDeep);
  deep[2 * kDeep] = '\0';
  deep_event = Event("T", deep, NULL);
  CHECK_CODE(evlog_append_json(store, "j-1", EVLOG_EXPECT_ANY, &deep_event, 1, NULL, &err),
             EVLOG_INVALID_ARGUMENT);
  CHECK(err != NULL && strstr(err, "event data nests deeper than 512 levels") != NULL);
  evlog_free(err);
  /* Exactly at the limit. */
  deep_event.data = deep + kDeep - 512;
  deep_event.data_len = 1024;
  CHECK_CODE(evlog_append_json(store, "j-1", EVLOG_EXPECT_ANY, &deep_event, 1, NULL, NULL),
             EVLOG_OK);
  deep_event = Event("T", "{\"a\":1} junk", NULL);
  CHECK_CODE(evlog_append_json(store, "j-1", EVLOG_EXPECT_ANY, &deep_event, 1, NULL, NULL),
             EVLOG_INVALID_ARGUMENT);
  for (i = 0; i < kTexts; ++i) events[i] = Event("T", texts[i], NULL);
  CHECK_CODE(evlog_append_json(store, "j-1", EVLOG_EXPECT_ANY, events, kTexts, NULL, NULL),
             EVLOG_OK);
  CHECK_CODE(evlog_read_stream(store, "j-1", 0, 100, &result, NULL), EVLOG_OK);
  CHECK(evlog_events_count(result) == kTexts + 1);
  data = evlog_events_data(result, 0, &len);
  CHECK(len == 1024 && memcmp(data, deep + kDeep - 512, 1024) == 0);
  for (i = 0; i < kTexts; ++i) {
    data = evlog_events_data(result, i + 1, &len);
    CHECK(len == strlen(texts[i]) && memcmp(data, texts[i], len) == 0);
  }
  evlog_events_free(result);
  free(deep);
  evlog_close(store);
}

/* DCB through C: tags go in and come back (NUL bytes included), a query
 * answers the matches and the head, and a condition guards uniqueness and
 * names the conflicting position. */
static void TagsQueriesAndConditionsWork(void) {
  evlog_store_t* store;
  evlog_tag_t tags[2];
  evlog_tagged_event_t e;
  evlog_query_item_t item;
  evlog_condition_t condition;
  const char* types[1] = {"Registered"};
  evlog_events_t* result = NULL;
  uint64_t first = 0, head = 99, conflict = 0;
  size_t len = 0;
  const char* tag;
  char* err = NULL;
  current = "TagsQueriesAndConditionsWork";
  printf("%s\n", current);
  store = OpenStore("dcb");
  tags[0].data = "username:ann";
  tags[0].len = 12;
  tags[1].data = "n\0l";
  tags[1].len = 3;
  e.event = Event("Registered", "{}", NULL);
  e.tags = tags;
  e.n_tags = 2;
  item.types = types;
  item.n_types = 1;
  item.tags = tags;
  item.n_tags = 1;
  condition.items = &item;
  condition.n_items = 1;
  condition.after = 0;

  CHECK_CODE(evlog_query(store, &item, 1, 0, 100, 0, &result, &head, NULL), EVLOG_OK);
  CHECK(evlog_events_count(result) == 0 && head == 0);
  evlog_events_free(result);
  CHECK_CODE(evlog_append_tagged(store, "user-1", EVLOG_EXPECT_ANY, &e, 1, 1, &condition, &first,
                                 &conflict, NULL),
             EVLOG_OK);
  CHECK(first == 1);
  CHECK_CODE(evlog_append_tagged(store, "user-2", EVLOG_EXPECT_ANY, &e, 1, 1, &condition, &first,
                                 &conflict, &err),
             EVLOG_CONDITION_FAILED);
  CHECK(conflict == 1);
  CHECK(err != NULL);
  evlog_free(err);
  err = NULL;

  CHECK_CODE(evlog_query(store, &item, 1, 0, 100, 0, &result, &head, NULL), EVLOG_OK);
  CHECK(evlog_events_count(result) == 1 && head == 1);
  CHECK(evlog_events_tag_count(result, 0) == 2);
  tag = evlog_events_tag(result, 0, 1, &len);
  CHECK(len == 3 && memcmp(tag, "n\0l", 3) == 0);
  evlog_events_free(result);

  /* A tag of 256 bytes is refused and writes nothing. */
  {
    static char long_tag[256];
    memset(long_tag, 't', sizeof(long_tag));
    tags[0].data = long_tag;
    tags[0].len = sizeof(long_tag);
    CHECK_CODE(evlog_append_tagged(store, "user-3", EVLOG_EXPECT_ANY, &e, 1, 1, NULL, NULL, NULL,
                                   &err),
               EVLOG_INVALID_ARGUMENT);
    evlog_free(err);
  }
  CHECK_CODE(evlog_query(store, NULL, 0, 0, 100, 1, &result, &head, NULL), EVLOG_OK);
  CHECK(evlog_events_count(result) == 1 && head == 1);
  evlog_events_free(result);
  evlog_close(store);
}

/* What QueryEachVisitsTheMatchesInOrderAndStopsWhenAsked's visitor saw. */
typedef struct Visited {
  uint64_t positions[8];
  size_t n;
  size_t stop_after; /* 0: never stop */
  int tags_ok;       /* every event carried "course:c1" as its first tag */
  int bytes_ok;      /* every event's stream, type and data as appended */
} Visited;

static int Visit(void* arg, const evlog_event_view_t* e) {
  Visited* v = (Visited*)arg;
  if (v->n < sizeof(v->positions) / sizeof(v->positions[0])) v->positions[v->n] = e->position;
  ++v->n;
  if (e->n_tags < 1 || e->tags[0].len != 9 || memcmp(e->tags[0].data, "course:c1", 9) != 0) {
    v->tags_ok = 0;
  }
  if (e->stream_len != 8 || memcmp(e->stream, "course-1", 8) != 0 || e->type_len != 4 ||
      memcmp(e->type, "Seat", 4) != 0 || e->data_len != 2 || memcmp(e->data, "{}", 2) != 0 ||
      e->metadata == NULL || e->metadata_len != 0 || e->version != e->position ||
      e->timestamp_us <= 0) {
    v->bytes_ok = 0;
  }
  return v->stop_after == 0 || v->n < v->stop_after;
}

/* evlog_query_each: the matching events in the read's order, each a view
 * with its tags, the head whether or not anything matched, a visitor that
 * stops the read, and errors for a NULL visitor or a bad query. */
static void QueryEachVisitsTheMatchesInOrderAndStopsWhenAsked(void) {
  evlog_store_t* store;
  evlog_tag_t tags[2];
  evlog_tagged_event_t e[3];
  evlog_query_item_t item;
  Visited v;
  uint64_t head = 99;
  char* err = NULL;
  size_t i;
  current = "QueryEachVisitsTheMatchesInOrderAndStopsWhenAsked";
  printf("%s\n", current);
  store = OpenStore("each");
  tags[0].data = "course:c1";
  tags[0].len = 9;
  tags[1].data = "student:7";
  tags[1].len = 9;
  item.types = NULL;
  item.n_types = 0;
  item.tags = tags;
  item.n_tags = 1;

  memset(&v, 0, sizeof(v));
  CHECK_CODE(evlog_query_each(store, &item, 1, 0, 100, 0, Visit, &v, &head, NULL), EVLOG_OK);
  CHECK(v.n == 0 && head == 0);

  memset(e, 0, sizeof(e));
  for (i = 0; i < 3; ++i) {
    e[i].event = Event("Seat", "{}", NULL);
    e[i].tags = tags;
    e[i].n_tags = i == 1 ? 0 : 2; /* the second carries no tag */
  }
  CHECK_CODE(evlog_append_tagged(store, "course-1", EVLOG_EXPECT_NO_STREAM, e, 3, 1, NULL, NULL,
                                 NULL, NULL),
             EVLOG_OK);

  memset(&v, 0, sizeof(v));
  v.tags_ok = v.bytes_ok = 1;
  CHECK_CODE(evlog_query_each(store, &item, 1, 0, 100, 0, Visit, &v, &head, NULL), EVLOG_OK);
  CHECK(v.n == 2 && v.positions[0] == 1 && v.positions[1] == 3 && head == 3);
  CHECK(v.tags_ok && v.bytes_ok);

  memset(&v, 0, sizeof(v));
  CHECK_CODE(evlog_query_each(store, &item, 1, 0, 100, 1, Visit, &v, &head, NULL), EVLOG_OK);
  CHECK(v.n == 2 && v.positions[0] == 3 && v.positions[1] == 1);

  /* max_count bounds the read as evlog_query's. */
  memset(&v, 0, sizeof(v));
  CHECK_CODE(evlog_query_each(store, &item, 1, 2, 1, 0, Visit, &v, &head, NULL), EVLOG_OK);
  CHECK(v.n == 1 && v.positions[0] == 3 && head == 3);

  /* The visitor stops the read at the first event. */
  memset(&v, 0, sizeof(v));
  v.stop_after = 1;
  CHECK_CODE(evlog_query_each(store, NULL, 0, 0, 100, 0, Visit, &v, NULL, NULL), EVLOG_OK);
  CHECK(v.n == 1 && v.positions[0] == 1);

  CHECK_CODE(evlog_query_each(store, &item, 1, 0, 100, 0, NULL, &v, &head, &err),
             EVLOG_INVALID_ARGUMENT);
  CHECK(err != NULL);
  item.n_tags = 1;
  item.tags = NULL;
  CHECK_CODE(evlog_query_each(store, &item, 1, 0, 100, 0, Visit, &v, &head, &err),
             EVLOG_INVALID_ARGUMENT);
  evlog_free(err);
  evlog_close(store);
}

/* A multi-stream append through C: both streams or neither, a type
 * condition, and the duplicate policy skip leaving out committed events. */
static void MultiStreamAppendsConditionsAndSkipWork(void) {
  evlog_store_t* store;
  static const uint8_t id_a[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  static const uint8_t id_b[16] = {2, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  evlog_tagged_event_t order[2], stock[1];
  evlog_stream_append_t streams[2];
  evlog_stream_result_t results[2];
  evlog_append_options_t options;
  const char* types[1] = {"Cancelled"};
  evlog_events_t* result = NULL;
  uint64_t conflict = 0, version = 0;
  int deduplicated = -1;
  uint8_t skipped[2] = {9, 9};
  char* err = NULL;
  current = "MultiStreamAppendsConditionsAndSkipWork";
  printf("%s\n", current);
  store = OpenStore("multi");
  memset(order, 0, sizeof(order));
  memset(stock, 0, sizeof(stock));
  memset(&options, 0, sizeof(options));
  order[0].event = Event("Placed", "{}", id_a);
  order[1].event = Event("Paid", "{}", id_b);
  stock[0].event = Event("Reserved", "{}", NULL);
  streams[0].stream = "order-1";
  streams[0].expected_version = EVLOG_EXPECT_NO_STREAM;
  streams[0].events = order;
  streams[0].n = 1;
  streams[1].stream = "stock-1";
  streams[1].expected_version = EVLOG_EXPECT_NO_STREAM;
  streams[1].events = stock;
  streams[1].n = 1;
  options.json = 1;
  options.condition.types = types;
  options.condition.n_types = 1;

  CHECK_CODE(evlog_append_multi(store, streams, 2, &options, results, &deduplicated, &conflict,
                                NULL),
             EVLOG_OK);
  CHECK(deduplicated == 0);
  CHECK(results[0].first_position == 1 && results[1].first_position == 2);
  CHECK(results[1].last_version == 1 && results[1].skipped == 0);

  /* stock-1 exists now: neither stream is written. */
  streams[0].stream = "order-2";
  order[0].event.id = NULL;
  CHECK_CODE(evlog_append_multi(store, streams, 2, &options, results, NULL, NULL, &err),
             EVLOG_WRONG_EXPECTED_VERSION);
  CHECK(err != NULL && strstr(err, "stock-1") != NULL);
  evlog_free(err);
  err = NULL;
  CHECK_CODE(evlog_stream_version(store, "order-2", &version, NULL), EVLOG_OK);
  CHECK(version == 0);
  order[0].event.id = id_a;

  /* The type condition: a Cancelled event after position 0 fails it. */
  stock[0].event = Event("Cancelled", "{}", NULL);
  streams[1].expected_version = EVLOG_EXPECT_ANY;
  CHECK_CODE(evlog_append_multi(store, &streams[1], 1, NULL, results, NULL, NULL, NULL), EVLOG_OK);
  CHECK_CODE(evlog_append_multi(store, &streams[1], 1, &options, results, NULL, &conflict, &err),
             EVLOG_CONDITION_FAILED);
  CHECK(conflict == 3);
  evlog_free(err);
  err = NULL;
  streams[0].stream = "order-1";
  streams[0].expected_version = EVLOG_EXPECT_ANY;
  streams[0].n = 2;

  /* Skip: id_a was committed, id_b is new; the error policy refuses it. */
  options.condition.n_types = 0;
  CHECK_CODE(evlog_append_multi(store, streams, 1, &options, results, NULL, NULL, &err),
             EVLOG_IDEMPOTENCY_CONFLICT);
  evlog_free(err);
  err = NULL;
  options.skip_duplicates = 1;
  CHECK_CODE(evlog_append_multi_skipped(store, streams, 1, &options, results, &deduplicated, NULL,
                                        skipped, NULL),
             EVLOG_OK);
  CHECK(deduplicated == 0);
  CHECK(results[0].skipped == 1);
  CHECK(skipped[0] == 1 && skipped[1] == 0); /* which one: id_a's */
  CHECK(results[0].first_version == 2 && results[0].last_version == 2);
  CHECK(results[0].first_position == 4);
  CHECK_CODE(evlog_read_stream(store, "order-1", 0, 10, &result, NULL), EVLOG_OK);
  CHECK(evlog_events_count(result) == 2);
  CHECK(memcmp(evlog_events_id(result, 1), id_b, 16) == 0);
  evlog_events_free(result);

  /* A NULL is an error, never a crash. */
  CHECK_CODE(evlog_append_multi(store, NULL, 1, NULL, NULL, NULL, NULL, &err),
             EVLOG_INVALID_ARGUMENT);
  evlog_free(err);
  evlog_close(store);
}

static int RemoveEntry(const char* path, const struct stat* st, int flag, struct FTW* ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

int main(void) {
  const char* tmp = getenv("TMPDIR");
  snprintf(dir, sizeof(dir), "%s/evlog-c-api-XXXXXX", tmp != NULL && *tmp ? tmp : "/tmp");
  if (mkdtemp(dir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  AppendThenReadStreamReturnsTheEvents();
  AWrongExpectedVersionWritesNothingAndSaysWhy();
  AfterAConflictTheVersionAndTheNewestEventsAreAtHand();
  RetryingTheSameIdsReturnsTheOriginalPositionOnce();
  ReadAllReturnsTheGlobalLogInPositionOrder();
  BadInputIsAnErrorNeverACrash();
  JsonDataIsCheckedAndComesBackAsTheExactBytes();
  TagsQueriesAndConditionsWork();
  QueryEachVisitsTheMatchesInOrderAndStopsWhenAsked();
  MultiStreamAppendsConditionsAndSkipWork();
  nftw(dir, RemoveEntry, 16, FTW_DEPTH | FTW_PHYS);
  printf("c_api_test: all passed\n");
  return 0;
}
