// StoreTest: a fixture with a fresh store in a temporary directory, and
// helpers to build events and collect what reads return.

#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "evlog/store.h"
#include "testutil/temp_dir.h"

// Asserts that a Status (or a Result's status) is OK, printing it if not.
#define ASSERT_OK(expr)                                             \
  do {                                                              \
    const ::evlog::Status _s = ::evlog::testutil::StatusOf(expr);   \
    ASSERT_TRUE(_s.ok()) << #expr << ": " << _s.ToString();         \
  } while (0)
#define EXPECT_OK(expr)                                             \
  do {                                                              \
    const ::evlog::Status _s = ::evlog::testutil::StatusOf(expr);   \
    EXPECT_TRUE(_s.ok()) << #expr << ": " << _s.ToString();         \
  } while (0)

namespace evlog::testutil {

// The status of a Status or a Result (ASSERT_OK, EXPECT_OK).
inline Status StatusOf(Status s) { return s; }
template <class T>
Status StatusOf(const Result<T>& r) {
  return r.status();
}

// An event of `type` with `data`, optionally with a caller-given id.
EventData Ev(std::string type, std::string data = "d", Uuid id = Uuid());

// An event of `type` carrying `tags` (data "d").
EventData Tagged(std::string type, std::vector<std::string> tags);

// Copies of everything an iterator yields; fails the test on a bad status.
std::vector<OwnedEvent> Collect(EventIterator& it);

// The positions of `events`, in their order.
std::vector<uint64_t> Positions(const std::vector<OwnedEvent>& events);

// The positions of the events a query returned; fails the test on a bad
// status (and returns none).
std::vector<uint64_t> Positions(const Result<QueryResult>& r);

// first, first + 1, ..., last.
std::vector<uint64_t> Range(uint64_t first, uint64_t last);

// Asserts `store` verifies clean, printing every problem if not.
void ExpectVerifiesClean(Store& store);

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  // Closes and opens the store again with `options`.
  void Reopen(const Options& options = Options{});

  std::string path() const { return dir_.Sub("store"); }

  // Appends one event (buffered) and asserts success.
  StreamAppendResult AppendOne(const std::string& stream, const std::string& type = "T",
                               ExpectedVersion expected = ExpectedVersion::Any());
  // AppendOne's position (0 if it failed).
  Position Add(const std::string& stream, const std::string& type = "T") {
    return AppendOne(stream, type).last_position;
  }

  // Creates streams s-0..s-(n-1), each with two events carrying fresh ids:
  // a[i] on Ev("X", "1") and b[i] on Ev("Y", "2"), at positions 2i+1, 2i+2
  // in an empty store.
  void AppendIdPairs(int n, std::vector<Uuid>* a, std::vector<Uuid>* b);

  // Appends `n` events of `type` (data "data-0", "data-1", ...) to `stream`
  // in one buffered append, i.e. one group and one chunk, and asserts
  // success.
  void AppendChunk(const std::string& stream, size_t n, const std::string& type = "T");

  std::vector<OwnedEvent> ReadStream(const std::string& stream, ReadStreamOptions options = {});
  std::vector<OwnedEvent> ReadAll(ReadAllOptions options = {});
  // The positions ReadAll(options) yields from user streams, into
  // *positions, and the iterator's status at the end.
  Status ReadAllStatus(ReadAllOptions options, std::vector<uint64_t>* positions);

  TempDir dir_;
  Options options_;
  std::unique_ptr<Store> store_;
};

}  // namespace evlog::testutil
