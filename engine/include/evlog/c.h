/* evlog C API: the store for other languages, through any FFI (Python
 * ctypes, Go cgo, Rust, ...). A thin layer over evlog::Store (store.h); the
 * C++ header is the full manual, this one is the subset a binding needs:
 * open, close, append, read one stream (either way) and its version, read
 * the global log.
 *
 * Caveats, read these first:
 *  - Link libevlog_c.so (CMake: evlog::evlog_c). Every function is
 *    thread-safe on one store, like evlog::Store.
 *  - Errors: every fallible function returns an evlog_code_t (EVLOG_OK is
 *    0) and, if `errptr` is not NULL, sets *errptr to a malloc'ed message
 *    (freeing a previous one there first, as leveldb's c.h does). Free it
 *    with evlog_free. On EVLOG_OK *errptr is left as it was.
 *  - Ownership: evlog_open's store is closed with evlog_close; a read's
 *    result with evlog_events_free. Pointers an accessor returns live as
 *    long as the result they came from.
 *  - Strings passed in are NUL-terminated UTF-8 (names) or pointer and
 *    length (data). Nothing passed in is kept after a call returns.
 *  - Appends are durable (synced) when they return EVLOG_OK. */

#ifndef EVLOG_C_H_
#define EVLOG_C_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The status codes, numbered as evlog::Status::Code. */
typedef enum evlog_code_t {
  EVLOG_OK = 0,
  EVLOG_NOT_FOUND = 1,
  EVLOG_INVALID_ARGUMENT = 2,
  /* The stream is not at the expected version; nothing was written. */
  EVLOG_WRONG_EXPECTED_VERSION = 3,
  EVLOG_CONDITION_FAILED = 4,
  /* Some but not all of the event ids were already committed. */
  EVLOG_IDEMPOTENCY_CONFLICT = 5,
  EVLOG_CORRUPTION = 6,
  EVLOG_IO_ERROR = 7,
  /* The store is open for writing in another process (or this one). */
  EVLOG_BUSY = 8,
  EVLOG_NOT_SUPPORTED = 9,
  EVLOG_READ_ONLY = 10,
  EVLOG_ABORTED = 11,
  EVLOG_TIMED_OUT = 12,
  EVLOG_STREAM_DELETED = 13,
  EVLOG_TRIMMED = 14
} evlog_code_t;

/* Expected versions for evlog_append besides an exact version (0 and up;
 * 0 is the same as EVLOG_EXPECT_NO_STREAM). */
#define EVLOG_EXPECT_ANY (-1)
#define EVLOG_EXPECT_NO_STREAM (-2)
#define EVLOG_EXPECT_STREAM_EXISTS (-3)

typedef struct evlog_store_t evlog_store_t;
typedef struct evlog_events_t evlog_events_t;

/* One event to append. */
typedef struct evlog_event_t {
  /* Event type, 1..255 bytes. */
  const char* type;
  /* Payload bytes (may hold NULs); data_len 0 for none. */
  const char* data;
  size_t data_len;
  /* 16 bytes of a UUID for idempotent retries, or NULL for a random one. */
  const uint8_t* id;
} evlog_event_t;

/* Opens the store in directory `path`, creating it if missing. NULL on
 * failure, with *errptr set (Busy if another process writes it). */
evlog_store_t* evlog_open(const char* path, char** errptr);

/* Completes queued appends and closes the store. NULL is ignored. */
void evlog_close(evlog_store_t* store);

/* Appends events[0..n) to `stream` atomically if it is at
 * `expected_version` (a version, or an EVLOG_EXPECT_ constant). On
 * EVLOG_OK sets *first_position (if not NULL) to the position of the first
 * event. If every id was already committed, returns the original append's
 * first position and writes nothing. Errors: EVLOG_WRONG_EXPECTED_VERSION
 * (the message names the actual version), EVLOG_IDEMPOTENCY_CONFLICT,
 * EVLOG_INVALID_ARGUMENT (n is 0, a bad name or type, a limit exceeded),
 * EVLOG_STREAM_DELETED, EVLOG_IO_ERROR. Nothing is written on any error. */
evlog_code_t evlog_append(evlog_store_t* store, const char* stream, int64_t expected_version,
                          const evlog_event_t* events, size_t n, uint64_t* first_position,
                          char** errptr);

/* The same, with each event's data JSON: it must be one valid JSON text
 * (RFC 8259) nesting at most 512 arrays and objects, or the append fails
 * with EVLOG_INVALID_ARGUMENT and writes nothing. The bytes are stored as
 * given, never re-serialised. (evlog_append stores data as binary.) */
evlog_code_t evlog_append_json(evlog_store_t* store, const char* stream, int64_t expected_version,
                               const evlog_event_t* events, size_t n, uint64_t* first_position,
                               char** errptr);

/* Reads at most `max_count` events of `stream` from version `from` on (0
 * or 1: from the first), in version order, into *result (free it with
 * evlog_events_free). EVLOG_NOT_FOUND if the stream has no events. */
evlog_code_t evlog_read_stream(evlog_store_t* store, const char* stream, uint64_t from,
                               size_t max_count, evlog_events_t** result, char** errptr);

/* The same backward: at most `max_count` events of `stream` from version
 * `from` down (0: from the last), newest first. */
evlog_code_t evlog_read_stream_backward(evlog_store_t* store, const char* stream, uint64_t from,
                                        size_t max_count, evlog_events_t** result, char** errptr);

/* Sets *version to `stream`'s current version, 0 if it has no events: after
 * EVLOG_WRONG_EXPECTED_VERSION, the version to load up to and expect next. */
evlog_code_t evlog_stream_version(evlog_store_t* store, const char* stream, uint64_t* version,
                                  char** errptr);

/* Reads at most `max_count` events of the global log from position `from`
 * on (0 or 1: from the first), in position order, into *result. */
evlog_code_t evlog_read_all(evlog_store_t* store, uint64_t from, size_t max_count,
                            evlog_events_t** result, char** errptr);

/* ---- Tags, queries and the DCB append condition (docs/dcb.md) ---------- */

/* A tag: 1..255 bytes (may hold NULs). */
typedef struct evlog_tag_t {
  const char* data;
  size_t len;
} evlog_tag_t;

/* An event to append with its tags (at most 32 by default). */
typedef struct evlog_tagged_event_t {
  evlog_event_t event;
  const evlog_tag_t* tags;
  size_t n_tags;
} evlog_tagged_event_t;

/* One item of a query: it matches an event whose type is one of
 * types[0..n_types) (any type when n_types is 0) and that carries every one
 * of tags[0..n_tags). A query matches an event any of its items matches;
 * a query without items, or with an item of neither, matches every event. */
typedef struct evlog_query_item_t {
  const char* const* types;
  size_t n_types;
  const evlog_tag_t* tags;
  size_t n_tags;
} evlog_query_item_t;

/* The DCB append condition: fail_if_events_match (items[0..n_items)) after
 * position `after` (0: ever, a uniqueness guard). */
typedef struct evlog_condition_t {
  const evlog_query_item_t* items;
  size_t n_items;
  uint64_t after;
} evlog_condition_t;

/* evlog_append (json 0) or evlog_append_json (json 1) with each event's
 * tags and, when `condition` is not NULL, the condition: if an event after
 * condition->after matches its query, fails with EVLOG_CONDITION_FAILED,
 * writes nothing and sets *conflicting_position (if not NULL) to the first
 * such event's position. Errors otherwise as evlog_append's, and
 * EVLOG_INVALID_ARGUMENT for a tag or query beyond the limits. */
evlog_code_t evlog_append_tagged(evlog_store_t* store, const char* stream, int64_t expected_version,
                                 const evlog_tagged_event_t* events, size_t n, int json,
                                 const evlog_condition_t* condition, uint64_t* first_position,
                                 uint64_t* conflicting_position, char** errptr);

/* The events matching the query items[0..n_items) from position `from` on
 * (0: the first; backward: down from `from`, 0: from the head), at most
 * `max_count`, into *result; *head (if not NULL) is set to the position of
 * the last event committed when the read began, whether or not anything
 * matched: pass it as evlog_condition_t.after to decide on what was read. */
evlog_code_t evlog_query(evlog_store_t* store, const evlog_query_item_t* items, size_t n_items,
                         uint64_t from, size_t max_count, int backward, evlog_events_t** result,
                         uint64_t* head, char** errptr);

/* One event as evlog_query_each hands it to its visitor. Every pointer in
 * it is valid during that call only: copy what must outlive it. Strings
 * are not NUL-terminated (use the lengths) and never NULL. */
typedef struct evlog_event_view_t {
  const char* stream;
  size_t stream_len;
  const char* type;
  size_t type_len;
  const char* data;
  size_t data_len;
  /* By convention JSON; metadata_len 0 when the event has none. */
  const char* metadata;
  size_t metadata_len;
  /* 16 bytes. */
  const uint8_t* id;
  uint64_t version;
  uint64_t position;
  /* Commit time, microseconds since the Unix epoch. */
  int64_t timestamp_us;
  const evlog_tag_t* tags;
  size_t n_tags;
} evlog_event_view_t;

/* Called with each event a read visits and the `arg` given to the read:
 * returns 1 to go on, 0 to stop the read there. */
typedef int (*evlog_event_visitor_t)(void* arg, const evlog_event_view_t* event);

/* evlog_query without a result: calls visit(arg, event) with each matching
 * event, in the read's order, until it returns 0 or the read ends. No copy
 * of an event is made, so a read that folds events into a decision costs
 * no allocation per event. *head as evlog_query's. An error (a corrupt
 * event, say) ends the read after the events before it were visited. */
evlog_code_t evlog_query_each(evlog_store_t* store, const evlog_query_item_t* items,
                              size_t n_items, uint64_t from, size_t max_count, int backward,
                              evlog_event_visitor_t visit, void* arg, uint64_t* head,
                              char** errptr);

/* ---- Multi-stream appends, conditions and the duplicate policy --------- */

/* One stream's part of evlog_append_multi: events[0..n) for `stream` at
 * `expected_version` (a version, or an EVLOG_EXPECT_ constant). */
typedef struct evlog_stream_append_t {
  const char* stream;
  int64_t expected_version;
  const evlog_tagged_event_t* events;
  size_t n;
} evlog_stream_append_t;

/* The append condition: the append fails with EVLOG_CONDITION_FAILED if an
 * event committed after position `after` has one of types[0..n_types), is
 * in a stream of one of categories[0..n_categories) ("order" for
 * "order-1"), or (has_query 1) matches the query items[0..n_items) (no
 * items: every event). Nothing set (no types, no categories, has_query 0):
 * no condition. */
typedef struct evlog_append_condition_t {
  uint64_t after;
  const char* const* types;
  size_t n_types;
  const char* const* categories;
  size_t n_categories;
  int has_query;
  const evlog_query_item_t* items;
  size_t n_items;
} evlog_append_condition_t;

/* How evlog_append_multi appends; all zero (or a NULL pointer): binary
 * data, synced, no condition, the duplicate policy error. */
typedef struct evlog_append_options_t {
  /* 1: each event's data is JSON, checked as evlog_append_json's. */
  int json;
  /* 1: acknowledge once the write reaches the operating system (buffered
   * durability); 0: once it is synced to disk. */
  int buffered;
  /* The duplicate policy. 0 (error): a retry must repeat the original
   * append exactly (else EVLOG_IDEMPOTENCY_CONFLICT). 1 (skip): events
   * whose ids were already committed are left out and the rest appended. */
  int skip_duplicates;
  evlog_append_condition_t condition;
} evlog_append_options_t;

/* What evlog_append_multi wrote to one stream: the versions and positions
 * of its events written (an empty range, first = last + 1, when every one
 * was skipped) and how many the skip policy left out. */
typedef struct evlog_stream_result_t {
  uint64_t first_version;
  uint64_t last_version;
  uint64_t first_position;
  uint64_t last_position;
  size_t skipped;
} evlog_stream_result_t;

/* Appends to streams[0..n_streams) atomically: every stream at its expected
 * version and the condition holding, or nothing is written. On EVLOG_OK
 * fills results[0..n_streams) (if not NULL) and sets *deduplicated (if not
 * NULL) to 1 when nothing was written because every event was already
 * committed. Errors as evlog_append_tagged's (a failed condition sets
 * *conflicting_position if not NULL), EVLOG_INVALID_ARGUMENT for no
 * streams, a stream twice, or a NULL. */
evlog_code_t evlog_append_multi(evlog_store_t* store, const evlog_stream_append_t* streams,
                                size_t n_streams, const evlog_append_options_t* options,
                                evlog_stream_result_t* results, int* deduplicated,
                                uint64_t* conflicting_position, char** errptr);

/* evlog_append_multi that also says which events the skip policy left out:
 * on EVLOG_OK, skipped[j] (if not NULL) is 1 for the j-th event given —
 * streams[0]'s events first, then streams[1]'s, and so on — when its id was
 * already committed and it was left out, else 0. REQUIRES: skipped holds
 * one flag per event given. */
evlog_code_t evlog_append_multi_skipped(evlog_store_t* store,
                                        const evlog_stream_append_t* streams, size_t n_streams,
                                        const evlog_append_options_t* options,
                                        evlog_stream_result_t* results, int* deduplicated,
                                        uint64_t* conflicting_position, uint8_t* skipped,
                                        char** errptr);

/* Accessors of a read's result. REQUIRES: i < evlog_events_count(result).
 * Strings are NUL-terminated; data may also hold NULs: use *len. */
size_t evlog_events_count(const evlog_events_t* result);
const char* evlog_events_stream(const evlog_events_t* result, size_t i);
const char* evlog_events_type(const evlog_events_t* result, size_t i);
const char* evlog_events_data(const evlog_events_t* result, size_t i, size_t* len);
/* The event's metadata (by convention JSON); *len 0 when it has none. */
const char* evlog_events_metadata(const evlog_events_t* result, size_t i, size_t* len);
/* The event id: 16 bytes. */
const uint8_t* evlog_events_id(const evlog_events_t* result, size_t i);
uint64_t evlog_events_version(const evlog_events_t* result, size_t i);
uint64_t evlog_events_position(const evlog_events_t* result, size_t i);
/* Commit time, microseconds since the Unix epoch. */
int64_t evlog_events_timestamp_us(const evlog_events_t* result, size_t i);

/* The event's tags: how many, and tag t (REQUIRES: t < the count), its
 * length in *len. */
size_t evlog_events_tag_count(const evlog_events_t* result, size_t i);
const char* evlog_events_tag(const evlog_events_t* result, size_t i, size_t t, size_t* len);

/* Frees a read's result. NULL is ignored. */
void evlog_events_free(evlog_events_t* result);

/* Frees a string the API allocated (an error message). */
void evlog_free(void* ptr);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* EVLOG_C_H_ */
