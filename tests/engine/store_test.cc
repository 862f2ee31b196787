// Opening stores: recovery, format versions, locking, read-only followers and
// corruption detection.

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>

#include "keys.h"
#include "testutil/child_process.h"
#include "testutil/raw_rocks.h"
#include "testutil/store_fixture.h"

namespace evlog {
namespace {

using testutil::Ev;

// Opens the store's RocksDB directly (the store must be closed) and runs `f`
// with the handle of column family `family`.
template <class F>
void WithRocks(const std::string& path, const std::string& family, F f) {
  testutil::WithRawRocks(path, [&](rocksdb::DB& db, const auto& names, const auto& handles) {
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == family) f(&db, handles[i]);
    }
  });
}

class StoreOpen : public testutil::StoreTest {
 protected:
  // Sets the store's counter or marker `key` in the default family to
  // `value` behind the engine (the store must be closed).
  void PutDefault(const std::string& key, const std::string& value) {
    WithRocks(path(), "default", [&](rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) {
      ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), cf, key, value).ok());
    });
  }
  // Appends `events` events to "a-1" (positions 1..events) and closes the store.
  void AppendThenClose(uint64_t events) {
    for (uint64_t i = 0; i < events; ++i) AppendOne("a-1");
    store_.reset();
  }
  // A store of one event, closed, whose `key` is then set to `value`.
  void CloseWith(const std::string& key, const std::string& value) {
    AppendThenClose(1);
    PutDefault(key, value);
  }
};

// The log family's key of position `p`: its 8 bytes, big-endian.
std::string LogKey(uint64_t p) {
  std::string key(8, '\0');
  for (int b = 0; b < 8; ++b) key[7 - b] = static_cast<char>(p >> (8 * b));
  return key;
}

TEST_F(StoreOpen, ReopenKeepsEveryEventAsWritten) {
  AppendOne("a-1", "X");
  ASSERT_OK(store_
                ->Append("b-1", ExpectedVersion::NoStream(),
                         {Ev("Y", "data-y", Uuid::Random()), Ev("Z", "data-z")},
                         Durability::kBuffered)
                .status());
  std::vector<OwnedEvent> before = ReadAll();
  ASSERT_EQ(before.size(), 3u);
  Reopen();
  std::vector<OwnedEvent> after = ReadAll();
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(after[i].stream, before[i].stream);
    EXPECT_EQ(after[i].type, before[i].type);
    EXPECT_EQ(after[i].data, before[i].data);
    EXPECT_EQ(after[i].id, before[i].id);
    EXPECT_EQ(after[i].version, before[i].version);
    EXPECT_EQ(after[i].position, before[i].position);
    EXPECT_EQ(after[i].timestamp_us, before[i].timestamp_us);
  }
  EXPECT_EQ(*store_->StreamVersion("b-1"), Version(2));
}

TEST_F(StoreOpen, ReopenKeepsEventsAndPositionsContinue) {
  AppendOne("a-1");
  AppendOne("a-2");
  Reopen();
  EXPECT_EQ(store_->LastPosition(), Position(2));
  StreamAppendResult r = AppendOne("a-1");
  EXPECT_EQ(r.first_position, Position(3));
  EXPECT_EQ(r.first_version, Version(2));
}

TEST_F(StoreOpen, RecoveredHeadsEnforceExpectedVersions) {
  AppendOne("a-1");
  AppendOne("a-1");
  Reopen();
  auto stale = store_->Append("a-1", ExpectedVersion::Exact(Version(1)), {Ev("T")});
  ASSERT_TRUE(stale.status().IsWrongExpectedVersion());
  EXPECT_EQ(stale.status().actual_version(), 2u);
  EXPECT_OK(store_->Append("a-1", ExpectedVersion::Exact(Version(2)), {Ev("T")}).status());
  auto stats = store_->Stats();
  EXPECT_EQ(stats->streams, 1u);
}

TEST_F(StoreOpen, HeadsOfManyStreamsSurviveSeveralReopens) {
  for (int round = 0; round < 3; ++round) {
    for (int s = 0; s < 20; ++s) {
      std::string stream = "s-" + std::to_string(s);
      // Stream s gets s % 3 + 1 events per round.
      for (int i = 0; i <= s % 3; ++i) AppendOne(stream);
    }
    Reopen();
  }
  for (int s = 0; s < 20; ++s) {
    std::string stream = "s-" + std::to_string(s);
    const uint64_t expected = 3 * static_cast<uint64_t>(s % 3 + 1);
    EXPECT_EQ(*store_->StreamVersion(stream), Version(expected)) << stream;
    auto r = store_->Append(stream, ExpectedVersion::Exact(Version(expected)), {Ev("T")},
                            Durability::kBuffered);
    EXPECT_OK(r.status());
  }
  // 20 streams: 7 with one event per round, 7 with two, 6 with three.
  const uint64_t events = 3 * (7 * 1 + 7 * 2 + 6 * 3) + 20;
  EXPECT_EQ(store_->LastPosition(), Position(events));
  EXPECT_EQ(ReadAll().size(), events);
}

TEST_F(StoreOpen, AFreshStoreRecordsItsFormatVersionAndColumnFamilies) {
  AppendOne("a-1");
  store_.reset();
  std::vector<std::string> families;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path(), &families).ok());
  for (const char* name :
       {"default", "log", "stream", "streams", "by_category", "by_type", "dedup", "ids"}) {
    EXPECT_NE(std::find(families.begin(), families.end(), name), families.end()) << name;
  }
  std::string version;
  WithRocks(path(), "default", [&](rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) {
    ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), cf, "evlog.format_version", &version).ok());
  });
  EXPECT_EQ(version, std::to_string(Store::kFormatVersion));
  EXPECT_EQ(version, "2");
}

TEST_F(StoreOpen, NewerFormatVersionIsRefused) {
  ASSERT_NO_FATAL_FAILURE(CloseWith("evlog.format_version", "999"));
  auto r = Store::Open(Options{}, path());
  ASSERT_TRUE(r.status().IsNotSupported()) << r.status().ToString();
  EXPECT_NE(r.status().message().find("999"), std::string::npos);
  auto ro = Store::Open(Options{.read_only = true}, path());
  ASSERT_TRUE(ro.status().IsNotSupported()) << ro.status().ToString();
  EXPECT_NE(ro.status().message().find("999"), std::string::npos);
}

TEST_F(StoreOpen, SecondWriterIsRefusedAsBusy) {
  auto second = Store::Open(Options{}, path());
  EXPECT_TRUE(second.status().IsBusy()) << second.status().ToString();
  EXPECT_NE(second.status().message().find("in use"), std::string::npos);
}

TEST_F(StoreOpen, ARefusedSecondWriterLeavesTheFirstWorking) {
  AppendOne("a-1");
  ASSERT_TRUE(Store::Open(Options{}, path()).status().IsBusy());
  EXPECT_EQ(AppendOne("a-1").first_version, Version(2));
  // The refused open must not have taken or dropped the lock.
  ASSERT_TRUE(Store::Open(Options{}, path()).status().IsBusy());
  Reopen();
  EXPECT_EQ(store_->LastPosition(), Position(2));
}

TEST_F(StoreOpen, WriterReopensWhileAReaderIsOpen) {
  AppendOne("a-1");
  auto reader = Store::Open(Options{.read_only = true}, path());
  ASSERT_OK(reader.status());
  Reopen();
  EXPECT_EQ(AppendOne("a-1").first_position, Position(2));
  ASSERT_OK((*reader)->CatchUp());
  EXPECT_EQ((*reader)->LastPosition(), Position(2));
}

TEST_F(StoreOpen, AnotherProcessWritingTheStoreMakesItBusyAndReadableHere) {
  store_.reset();
  auto child = testutil::ChildProcess::Start({STORE_WRITER_CHILD, path(), "5"});
  ASSERT_NE(child, nullptr);
  char line[64] = {};
  ASSERT_NE(std::fgets(line, sizeof(line), child->out()), nullptr) << "child ended early";
  ASSERT_EQ(std::string(line), "ready 5\n");

  auto writer = Store::Open(Options{}, path());
  ASSERT_TRUE(writer.status().IsBusy()) << writer.status().ToString();
  EXPECT_NE(writer.status().message().find("in use"), std::string::npos);

  auto reader = Store::Open(Options{.read_only = true}, path());
  ASSERT_OK(reader.status());
  EXPECT_EQ((*reader)->LastPosition(), Position(5));
  {
    auto it = (*reader)->ReadStream("child-1");
    ASSERT_OK(it.status());
    EXPECT_EQ(testutil::Collect(**it).size(), 5u);
  }
  reader->reset();

  int status = child->KillAndWait(SIGKILL);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited early with " << status;
  // The lock dies with its process; synced appends survive the kill.
  Reopen();
  EXPECT_EQ(store_->LastPosition(), Position(5));
  EXPECT_EQ(AppendOne("child-1").first_version, Version(6));
}

TEST_F(StoreOpen, ReadOnlyOpenSeesNewStreamsAfterCatchUp) {
  auto reader = Store::Open(Options{.read_only = true}, path());
  ASSERT_OK(reader.status());
  EXPECT_EQ((*reader)->LastPosition(), Position(0));
  AppendOne("a-1");
  AppendOne("b-1");
  // Not before CatchUp: reads see the store as of Open.
  EXPECT_EQ((*reader)->LastPosition(), Position(0));
  EXPECT_TRUE((*reader)->ReadStream("b-1").status().IsNotFound());
  {
    auto before = (*reader)->ReadAll().value();
    EXPECT_TRUE(testutil::Collect(*before).empty());
  }
  ASSERT_OK((*reader)->CatchUp());
  EXPECT_EQ((*reader)->LastPosition(), Position(2));
  EXPECT_EQ(*(*reader)->StreamVersion("b-1"), Version(1));
  auto it = (*reader)->ReadAll().value();
  EXPECT_EQ(testutil::Collect(*it).size(), 2u);
  auto listed = (*reader)->ListStreams();
  ASSERT_OK(listed.status());
  EXPECT_EQ(listed->size(), 2u);
}

TEST_F(StoreOpen, ReadOnlyOpenSeesTheWriterAndCatchesUp) {
  AppendOne("a-1");
  auto reader = Store::Open(Options{.read_only = true}, path());
  ASSERT_OK(reader.status());
  EXPECT_EQ((*reader)->LastPosition(), Position(1));
  AppendOne("a-1");
  ASSERT_OK((*reader)->CatchUp());
  EXPECT_EQ((*reader)->LastPosition(), Position(2));
  auto it = (*reader)->ReadStream("a-1");
  ASSERT_OK(it.status());
  EXPECT_EQ(testutil::Collect(**it).size(), 2u);
}

TEST_F(StoreOpen, SeveralReadOnlyOpensCoexistWithoutAWriter) {
  AppendOne("a-1");
  AppendOne("b-1");
  store_.reset();
  auto first = Store::Open(Options{.read_only = true}, path());
  ASSERT_OK(first.status());
  auto second = Store::Open(Options{.read_only = true}, path());
  ASSERT_OK(second.status());
  for (Store* reader : {first->get(), second->get()}) {
    EXPECT_EQ(reader->LastPosition(), Position(2));
    EXPECT_EQ(*reader->StreamVersion("b-1"), Version(1));
    auto stats = reader->Stats();
    ASSERT_OK(stats.status());
    EXPECT_EQ(stats->appended, 2u);
    EXPECT_EQ(stats->streams, 2u);
    auto it = reader->ReadAll().value();
    EXPECT_EQ(testutil::Collect(*it).size(), 2u);
  }
}

TEST_F(StoreOpen, MissingStoreWithoutCreateIsNotFound) {
  auto r = Store::Open(Options{.create_if_missing = false}, dir_.Sub("none"));
  EXPECT_TRUE(r.status().IsNotFound()) << r.status().ToString();
  auto ro = Store::Open(Options{.read_only = true}, dir_.Sub("none"));
  EXPECT_TRUE(ro.status().IsNotFound());
}

TEST_F(StoreOpen, NonEmptyDirectoryThatIsNotAStoreIsRefused) {
  std::string other = dir_.Sub("other");
  std::filesystem::create_directories(other);
  std::ofstream(other + "/notes.txt") << "mine";
  auto r = Store::Open(Options{}, other);
  EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
}

// Regression (found by tools/torture killing a child 1-8 ms after it
// started): a process killed during the first Open left only RocksDB's LOG
// behind, and the directory was refused for ever as "not an evlog store".
TEST_F(StoreOpen, DirectoryLeftByACrashDuringCreationOpens) {
  std::string half = dir_.Sub("half");
  std::filesystem::create_directories(half);
  std::ofstream(half + "/LOG") << "";
  std::ofstream(half + "/LOCK") << "";
  std::ofstream(half + "/MANIFEST-000001") << "";
  auto r = Store::Open(Options{}, half);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE((*r)->Append("a", ExpectedVersion::NoStream(), {Ev("T")}).ok());
  // A foreign file beside those still makes it not a store.
  std::string mixed = dir_.Sub("mixed");
  std::filesystem::create_directories(mixed);
  std::ofstream(mixed + "/LOG") << "";
  std::ofstream(mixed + "/notes.txt") << "mine";
  EXPECT_TRUE(Store::Open(Options{}, mixed).status().IsInvalidArgument());
}

// Counts the entries of column family `family` (the store must be closed).
size_t CountEntries(const std::string& path, const std::string& family) {
  size_t n = 0;
  WithRocks(path, family, [&](rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cf));
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
  });
  return n;
}

TEST_F(StoreOpen, CompactionReclaimsTrimmedDeletedAndExpiredEvents) {
  for (int i = 0; i < 10; ++i) AppendOne("a-1");
  for (int i = 0; i < 3; ++i) AppendOne("b-1");
  for (int i = 0; i < 2; ++i) AppendOne("c-1");
  for (int i = 0; i < 5; ++i) AppendOne("d-1");
  for (int i = 0; i < 2; ++i) AppendOne("e-1");
  ASSERT_OK(store_->TrimStream("a-1", {.before = Version(8), .require_snapshot = false}).status());
  ASSERT_OK(store_->DeleteStream("b-1", /*hard=*/true));
  ASSERT_OK(store_->SetStreamMetadata("d-1", {.max_count = 2}));
  ASSERT_OK(store_->SetStreamMetadata("e-1", {.max_age_seconds = 0}));
  ASSERT_OK(store_->Compact());
  // Survives a reopen too: the trim points are reloaded from the metadata.
  Reopen();
  ASSERT_OK(store_->Compact());
  store_.reset();
  // Kept: a-1 versions 8..10, c-1 both, d-1 the newest two, none of e-1,
  // and the four $meta events.
  EXPECT_EQ(CountEntries(path(), "stream"), 3u + 2u + 2u + 4u);
  EXPECT_EQ(CountEntries(path(), "log"), 3u + 2u + 2u + 4u);
  Reopen();
  EXPECT_EQ(ReadStream("a-1").front().version, Version(8));
  EXPECT_EQ(ReadAll({.category = "a"}).size(), 3u);
}

TEST_F(StoreOpen, CorruptRecordIsCorruptionNotACrash) {
  AppendThenClose(3);
  WithRocks(path(), "log", [](rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) {
    const std::string key = LogKey(2);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), cf, key, "garbage, not a record").ok());
  });
  Reopen();
  auto it = store_->ReadAll().value();
  int valid = 0;
  for (; it->Valid(); it->Next()) ++valid;
  EXPECT_EQ(valid, 1);
  EXPECT_TRUE(it->status().IsCorruption()) << it->status().ToString();
}

TEST_F(StoreOpen, CorruptRecordEndsAStreamReadWithCorruption) {
  AppendThenClose(3);
  // Garble the copy in every column family that holds a record, whichever the
  // stream read uses.
  for (const char* family : {"log", "stream"}) {
    WithRocks(path(), family, [](rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) {
      std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cf));
      it->SeekToFirst();
      ASSERT_TRUE(it->Valid());
      it->Next();  // the second record
      ASSERT_TRUE(it->Valid());
      ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), cf, it->key(), "garbage, not a record").ok());
    });
  }
  Reopen();
  auto it = store_->ReadStream("a-1");
  ASSERT_OK(it.status());
  int valid = 0;
  for (; (*it)->Valid(); (*it)->Next()) ++valid;
  EXPECT_EQ(valid, 1);
  EXPECT_TRUE((*it)->status().IsCorruption()) << (*it)->status().ToString();
}

TEST_F(StoreOpen, TruncatedLogRecordIsCorruption) {
  AppendThenClose(3);
  WithRocks(path(), "log", [](rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) {
    const std::string key = LogKey(2);
    std::string record;
    ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), cf, key, &record).ok());
    // Valid-looking: the record's own first bytes, cut short.
    ASSERT_TRUE(
        db->Put(rocksdb::WriteOptions(), cf, key, record.substr(0, record.size() / 2)).ok());
  });
  Reopen();
  auto it = store_->ReadAll().value();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->event().position, Position(1));
  it->Next();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().IsCorruption()) << it->status().ToString();
}

TEST_F(StoreOpen, EveryTruncationOfALogRecordIsCorruption) {
  // Position p gets its own record cut to (p - 1) bytes, so one reopen checks
  // every length from empty to one byte short.
  constexpr uint64_t kEvents = 400;
  AppendThenClose(kEvents);
  std::vector<std::pair<uint64_t, size_t>> cut;  // position, full record size
  WithRocks(path(), "log", [&](rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) {
    for (uint64_t p = 1; p <= kEvents; ++p) {
      const std::string key = LogKey(p);
      std::string record;
      ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), cf, key, &record).ok()) << p;
      if (p - 1 >= record.size()) break;
      ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), cf, key, record.substr(0, p - 1)).ok());
      cut.emplace_back(p, record.size());
    }
  });
  ASSERT_GT(cut.size(), 16u);
  ASSERT_LT(cut.back().first, kEvents) << "make kEvents larger than a record";
  Reopen();
  for (auto [p, size] : cut) {
    auto it = store_->ReadAll({.from = Position(p), .max_count = 1}).value();
    EXPECT_FALSE(it->Valid()) << "kept " << p - 1 << " of " << size << " bytes";
    EXPECT_TRUE(it->status().IsCorruption())
        << "kept " << p - 1 << " of " << size << " bytes: " << it->status().ToString();
  }
}

TEST_F(StoreOpen, UnreadableCountersAreCorruption) {
  ASSERT_NO_FATAL_FAILURE(CloseWith("evlog.last_position", "one"));
  auto r = Store::Open(Options{}, path());
  EXPECT_TRUE(r.status().IsCorruption()) << r.status().ToString();
  PutDefault("evlog.last_position", "1");
  PutDefault("evlog.format_version", "v1");
  r = Store::Open(Options{}, path());
  EXPECT_TRUE(r.status().IsCorruption()) << r.status().ToString();
}

TEST_F(StoreOpen, CorruptStreamRowIsCorruptionNotAWrite) {
  AppendOne("a-1");
  store_.reset();
  WithRocks(path(), "streams", [](rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) {
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), cf, "a-1", "garbage").ok());
  });
  Reopen();
  auto r = store_->Append("a-1", ExpectedVersion::Any(), {Ev("T")}, Durability::kBuffered);
  EXPECT_TRUE(r.status().IsCorruption()) << r.status().ToString();
  EXPECT_EQ(store_->LastPosition(), Position(1));
  EXPECT_TRUE(store_->StreamVersion("a-1").status().IsCorruption());
  EXPECT_TRUE(store_->ReadStream("a-1").status().IsCorruption());
  EXPECT_TRUE(store_->ListStreams().status().IsCorruption());
  // Other streams are unaffected.
  EXPECT_EQ(AppendOne("b-1").first_position, Position(2));
}

// An `ids` chunk that cannot be read: the store still opens; an append
// with caller ids cannot be told from a retry, so it fails with Corruption
// (never written as new); an append without caller ids goes on.
TEST_F(StoreOpen, CorruptIdsChunkIsCorruptionNotADuplicate) {
  Uuid id = Uuid::Random();
  ASSERT_OK(store_->Append("a-1", ExpectedVersion::Any(), {Ev("X", "1", id)}).status());
  store_.reset();
  WithRocks(path(), "ids", [&](rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) {
    const std::string key = keys::LogKey(Position(1));
    std::string value;
    ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), cf, key, &value).ok());
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), cf, key, value.substr(0, 3)).ok());
  });
  Reopen();
  auto r = store_->Append("a-1", ExpectedVersion::Any(), {Ev("X", "1", id)});
  EXPECT_TRUE(r.status().IsCorruption()) << r.status().ToString();
  r = store_->Append("a-2", ExpectedVersion::Any(), {Ev("X", "2", Uuid::Random())});
  EXPECT_TRUE(r.status().IsCorruption()) << r.status().ToString();
  EXPECT_EQ(store_->LastPosition(), Position(1));
  EXPECT_EQ(AppendOne("a-3").first_position, Position(2));
}

TEST_F(StoreOpen, TruncatedRecordIsCorruption) {
  AppendOne("a-1");
  store_.reset();
  WithRocks(path(), "stream", [](rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cf));
    it->SeekToFirst();
    ASSERT_TRUE(it->Valid());
    std::string value = it->value().ToString();
    ASSERT_TRUE(
        db->Put(rocksdb::WriteOptions(), cf, it->key(), value.substr(0, value.size() / 2)).ok());
  });
  Reopen();
  auto it = store_->ReadStream("a-1");
  ASSERT_OK(it.status());
  EXPECT_FALSE((*it)->Valid());
  EXPECT_TRUE((*it)->status().IsCorruption());
}

TEST_F(StoreOpen, RecordUnderTheWrongPositionIsCorruption) {
  AppendOne("a-1");
  AppendOne("a-1");
  store_.reset();
  WithRocks(path(), "log", [](rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) {
    std::string one(8, '\0'), two(8, '\0');
    one[7] = 1;
    two[7] = 2;
    std::string record;
    ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), cf, one, &record).ok());
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), cf, two, record).ok());
  });
  Reopen();
  auto it = store_->ReadAll({.from = Position(2)}).value();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().IsCorruption());
}

// A read-only open names its secondary directory's owner and removes the
// directories of owners that are gone (a reader killed before its close),
// and only those.
TEST_F(StoreOpen, ReadOnlyOpenRemovesSecondaryDirectoriesLeftByDeadProcesses) {
  AppendOne("a-1");
  const std::filesystem::path tmp = dir_.Sub("tmp");
  std::filesystem::create_directories(tmp);
  const char* saved = getenv("TMPDIR");
  const std::string previous = saved != nullptr ? saved : "";
  setenv("TMPDIR", tmp.c_str(), 1);
  struct Restore {
    bool had;
    std::string value;
    ~Restore() { had ? setenv("TMPDIR", value.c_str(), 1) : unsetenv("TMPDIR"); }
  } restore{saved != nullptr, previous};

  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(0);
  ASSERT_EQ(waitpid(child, nullptr, 0), child);  // `child` is now a pid nobody owns
  auto make = [&](const std::string& name, std::optional<pid_t> owner) {
    std::filesystem::create_directories(tmp / name);
    std::ofstream(tmp / name / "LOG") << "info log";
    if (owner) std::ofstream(tmp / name / "pid") << *owner;
  };
  make("evlog-secondary-dead01", child);
  make("evlog-secondary-alive1", getpid());
  make("evlog-secondary-nopid1", std::nullopt);
  make("unrelated-dead01", child);

  auto count_secondaries = [&] {
    return std::count_if(std::filesystem::directory_iterator(tmp),
                         std::filesystem::directory_iterator(), [](const auto& e) {
                           return e.path().filename().string().starts_with("evlog-secondary-");
                         });
  };
  {
    auto ro = Store::Open(Options{.read_only = true}, path());
    ASSERT_OK(ro.status());
    EXPECT_FALSE(std::filesystem::exists(tmp / "evlog-secondary-dead01"));
    EXPECT_TRUE(std::filesystem::exists(tmp / "evlog-secondary-alive1"));
    EXPECT_TRUE(std::filesystem::exists(tmp / "evlog-secondary-nopid1"));
    EXPECT_TRUE(std::filesystem::exists(tmp / "unrelated-dead01"));
    EXPECT_EQ(count_secondaries(), 3);  // alive1, nopid1 and this store's own
    auto own = (*ro)->ReadStream("a-1");
    ASSERT_OK(own.status());
  }
  EXPECT_EQ(count_secondaries(), 2);  // its own is removed at close
}

}  // namespace
}  // namespace evlog
