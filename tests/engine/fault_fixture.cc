#include "fault_fixture.h"

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "db.h"
#include "testutil/store_fixture.h"

namespace evlog::testutil {

void FaultStoreTest::SetUp() {
  SetFileSystemForTesting(fs_);
  Open();
}

void FaultStoreTest::TearDown() {
  store_.reset();
  SetFileSystemForTesting(nullptr);
}

void FaultStoreTest::Open(const Options& options) {
  auto opened = Store::Open(options, path());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  store_ = std::move(opened).value();
}

void FaultStoreTest::Reopen(const Options& options) {
  store_.reset();
  Open(options);
}

void FaultStoreTest::CutPower() {
  fs_->PowerOff();
  store_.reset();
  ASSERT_TRUE(fs_->DropUnsyncedData().ok());
}

void FaultStoreTest::AppendAcked(const std::string& stream, int count, Durability durability) {
  for (int i = 0; i < count; ++i) {
    Uuid id = Uuid::Random();
    auto r =
        store_->Append(stream, ExpectedVersion::Any(), {Ev("Added", "payload", id)}, durability);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    std::lock_guard<std::mutex> lock(acked_mu_);
    acked_.push_back({stream, id, r->streams[0].first_version, r->streams[0].first_position});
  }
}

void FaultStoreTest::AppendFromThreads(int threads, int acks, const std::function<void()>& then) {
  std::atomic<int> acked{0};
  std::atomic<int> running{threads};
  std::vector<std::thread> writers;
  for (int t = 0; t < threads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0;; ++i) {
        std::string stream = "item-" + std::to_string(t) + "-" + std::to_string(i % 3);
        Uuid id = Uuid::Random();
        auto r = store_->Append(stream, ExpectedVersion::Any(), {Ev("Added", "x", id)},
                                Durability::kSync);
        if (!r.ok()) {
          EXPECT_TRUE(r.status().IsIOError()) << r.status().ToString();
          break;
        }
        // Told OK after the power went: the process would not have lived
        // to hear it.
        if (fs_->powered_off()) break;
        {
          std::lock_guard<std::mutex> lock(acked_mu_);
          acked_.push_back({stream, id, r->streams[0].first_version, r->streams[0].first_position});
        }
        ++acked;
      }
      --running;
    });
  }
  while (acked.load() < acks && running.load() > 0) std::this_thread::yield();
  then();
  for (auto& w : writers) w.join();
}

void FaultStoreTest::ExpectAckedPresent() {
  std::map<uint64_t, OwnedEvent> log;
  auto it = store_->ReadAll().value();
  for (OwnedEvent& e : Collect(*it)) log.emplace(e.position.value(), std::move(e));
  for (const Acked& a : acked_) {
    auto found = log.find(a.position.value());
    ASSERT_NE(found, log.end()) << "acknowledged event at position " << a.position.value() << " of "
                                << a.stream << " is lost";
    EXPECT_EQ(found->second.stream, a.stream);
    EXPECT_EQ(found->second.version, a.version);
    EXPECT_EQ(found->second.id, a.id);
  }
}

void FaultStoreTest::ExpectConsistentPrefix() {
  auto report = store_->Verify();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  for (const std::string& p : report->problems) ADD_FAILURE() << "verify: " << p;
  auto all_it = store_->ReadAll().value();
  std::vector<OwnedEvent> log = Collect(*all_it);
  ASSERT_EQ(log.size(), store_->LastPosition().value());
  std::map<std::string, std::vector<Position>> by_stream;
  std::map<std::string, std::set<uint64_t>> by_category, by_type;
  for (size_t i = 0; i < log.size(); ++i) {
    const OwnedEvent& e = log[i];
    ASSERT_EQ(e.position.value(), i + 1) << "gap in the log";
    auto& positions = by_stream[e.stream];
    ASSERT_EQ(e.version.value(), positions.size() + 1) << "versions of " << e.stream;
    positions.push_back(e.position);
    by_category[std::string(CategoryOf(e.stream))].insert(e.position.value());
    by_type[e.type].insert(e.position.value());
  }
  for (const auto& [stream, positions] : by_stream) {
    auto read = store_->ReadStream(stream);
    ASSERT_TRUE(read.ok()) << read.status().ToString();
    std::vector<OwnedEvent> events = Collect(**read);
    ASSERT_EQ(events.size(), positions.size()) << stream;
    for (size_t i = 0; i < events.size(); ++i) EXPECT_EQ(events[i].position, positions[i]);
  }
  for (const auto& [category, positions] : by_category) {
    auto it = store_->ReadAll({.category = category}).value();
    std::set<uint64_t> got;
    for (const OwnedEvent& e : Collect(*it)) got.insert(e.position.value());
    EXPECT_EQ(got, positions) << "category " << category;
  }
  for (const auto& [type, positions] : by_type) {
    auto it = store_->ReadAll({.event_type = type}).value();
    std::set<uint64_t> got;
    for (const OwnedEvent& e : Collect(*it)) got.insert(e.position.value());
    EXPECT_EQ(got, positions) << "type " << type;
  }
}

}  // namespace evlog::testutil
