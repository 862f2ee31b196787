#include "testutil/store_fixture.h"

namespace evlog::testutil {

EventData Ev(std::string type, std::string data, Uuid id) {
  return EventData{.type = std::move(type), .data = std::move(data), .id = id};
}

EventData Tagged(std::string type, std::vector<std::string> tags) {
  EventData e = Ev(std::move(type));
  e.tags = std::move(tags);
  return e;
}

std::vector<uint64_t> Positions(const std::vector<OwnedEvent>& events) {
  std::vector<uint64_t> out;
  for (const OwnedEvent& e : events) out.push_back(e.position.value());
  return out;
}

std::vector<uint64_t> Positions(const Result<QueryResult>& r) {
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? Positions(r->events) : std::vector<uint64_t>{};
}

std::vector<uint64_t> Range(uint64_t first, uint64_t last) {
  std::vector<uint64_t> out;
  for (uint64_t p = first; p <= last; ++p) out.push_back(p);
  return out;
}

std::vector<OwnedEvent> Collect(EventIterator& it) {
  std::vector<OwnedEvent> out;
  for (; it.Valid(); it.Next()) out.push_back(OwnedEvent::From(it.event()));
  EXPECT_TRUE(it.status().ok()) << it.status().ToString();
  return out;
}

void StoreTest::Reopen(const Options& options) {
  store_.reset();
  options_ = options;
  auto opened = Store::Open(options_, path());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  store_ = std::move(opened).value();
}

StreamAppendResult StoreTest::AppendOne(const std::string& stream, const std::string& type,
                                        ExpectedVersion expected) {
  auto r = store_->Append(stream, expected, {Ev(type)}, Durability::kBuffered);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? r->streams[0] : StreamAppendResult{};
}

void StoreTest::AppendIdPairs(int n, std::vector<Uuid>* a, std::vector<Uuid>* b) {
  for (int i = 0; i < n; ++i) {
    a->push_back(Uuid::Random());
    b->push_back(Uuid::Random());
    auto r = store_->Append("s-" + std::to_string(i), ExpectedVersion::NoStream(),
                            {Ev("X", "1", a->back()), Ev("Y", "2", b->back())});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
  }
}

std::vector<OwnedEvent> StoreTest::ReadStream(const std::string& stream,
                                              ReadStreamOptions options) {
  auto it = store_->ReadStream(stream, options);
  EXPECT_TRUE(it.ok()) << it.status().ToString();
  if (!it.ok()) return {};
  return Collect(**it);
}

std::vector<OwnedEvent> StoreTest::ReadAll(ReadAllOptions options) {
  auto it = store_->ReadAll(options).value();
  return Collect(*it);
}

void ExpectVerifiesClean(Store& store) {
  auto report = store.Verify();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  std::string problems;
  for (const std::string& p : report->problems) problems += "\n  " + p;
  EXPECT_TRUE(report->ok()) << report->problem_count << " problems:" << problems;
}

void StoreTest::AppendChunk(const std::string& stream, size_t n, const std::string& type) {
  std::vector<EventData> events;
  for (size_t i = 0; i < n; ++i) events.push_back(Ev(type, "data-" + std::to_string(i)));
  const auto appended = store_->Append(stream, ExpectedVersion::Any(), events, Durability::kBuffered);
  ASSERT_TRUE(appended.ok()) << appended.status().ToString();
}

Status StoreTest::ReadAllStatus(ReadAllOptions options, std::vector<uint64_t>* positions) {
  options.include_system = false;
  auto it = store_->ReadAll(options);
  if (!it.ok()) return it.status();
  for (; (*it)->Valid(); (*it)->Next()) positions->push_back((*it)->event().position.value());
  return (*it)->status();
}

}  // namespace evlog::testutil
