// `evlog migrate` (engine/migrate.h, docs/plans/format2.md §3): a format-1
// store is refused until it is migrated; the format-1 fixture migrates,
// verifies and reads as the format-1 build read it; a migration killed at
// any phase boundary, or at a random moment, leaves the old store or the
// new one, and the next run or open finishes the job.

#include "migrate.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "chunk.h"
#include "clock.h"
#include "codec.h"
#include "evlog/store.h"
#include "fixtures/format1_fixture.h"
#include "fixtures/store_routes.h"
#include "keys.h"
#include "testutil/child_process.h"
#include "testutil/store_fixture.h"
#include "testutil/temp_dir.h"

namespace evlog {
namespace {

namespace fs = std::filesystem;
using fixtures::FixtureId;
using fixtures::FixtureOptions;

const fs::path kFixture = FORMAT1_FIXTURE_DIR;
constexpr uint64_t kFixtureLastPosition = 146;

std::vector<std::string> ExpectedLines() {
  std::ifstream in(kFixture / "expected.jsonl");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Every file under `dir` with its size and content.
std::map<std::string, std::string> Files(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    files[fs::relative(entry.path(), dir).string()] =
        std::string(std::istreambuf_iterator<char>(in), {});
  }
  return files;
}

// Every key and value of every column family of the database at `dir`,
// read without writing to it: what a store holds, whatever files hold it.
std::map<std::string, std::vector<std::pair<std::string, std::string>>> Contents(
    const fs::path& dir) {
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> contents;
  std::vector<std::string> names;
  EXPECT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir.string(), &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const std::string& name : names) families.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s =
      rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), dir.string(), families, &handles, &raw);
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (!s.ok()) return contents;
  std::unique_ptr<rocksdb::DB> db(raw);
  for (size_t i = 0; i < handles.size(); ++i) {
    auto& entries = contents[names[i]];
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), handles[i]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      entries.emplace_back(it->key().ToString(), it->value().ToString());
    }
    EXPECT_TRUE(it->status().ok());
  }
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  return contents;
}

// The entries of `parent` other than `keep`: what a migration left behind.
std::vector<std::string> Leftovers(const fs::path& parent, const std::vector<std::string>& keep) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(parent)) {
    const std::string name = entry.path().filename().string();
    if (std::find(keep.begin(), keep.end(), name) == keep.end()) names.push_back(name);
  }
  return names;
}

class Migrate : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(kFixture / "store" / "CURRENT")) << kFixture;
    fs::create_directories(parent());
    fs::copy(kFixture / "store", path(), fs::copy_options::recursive);
    if (reference_.empty()) {
      fs::copy(kFixture / "store", dir_.Sub("reference"), fs::copy_options::recursive);
      reference_ = Contents(dir_.Sub("reference"));
      ASSERT_EQ(reference_.count("log"), 1u);
    }
  }

  fs::path parent() const { return dir_.Sub("p"); }
  std::string path() const { return (parent() / "store").string(); }

  // The store at path() is the migrated one: it opens, verifies clean and
  // every read route returns what the format-1 build read.
  void ExpectTheNewStore() {
    auto store = Store::Open(FixtureOptions(), path());
    ASSERT_OK(store.status());
    Result<VerifyReport> report = (*store)->Verify();
    ASSERT_OK(report.status());
    EXPECT_TRUE(report->ok()) << (report->problems.empty() ? "" : report->problems[0]);
    EXPECT_EQ((*store)->LastPosition(), Position(kFixtureLastPosition));
    const std::vector<std::string> expected = ExpectedLines();
    const std::vector<std::string> actual = fixtures::RouteLines(
        **store, fixtures::kFixtureExtraStreams, fixtures::kFixtureSubscriptions);
    ASSERT_EQ(actual.size(), expected.size());
    for (size_t i = 0; i < actual.size(); ++i) {
      ASSERT_EQ(actual[i], expected[i]) << "line " << i + 1 << " of expected.jsonl";
    }
  }

  // The store at path() is the format-1 fixture, every key and value of
  // it (a writable RocksDB open rewrites its manifest), and Open refuses it
  // naming the command.
  void ExpectTheOldStore() {
    auto store = Store::Open(FixtureOptions(), path());
    ASSERT_TRUE(store.status().IsNotSupported()) << store.status().ToString();
    EXPECT_NE(store.status().message().find("evlog migrate --db "), std::string::npos);
    EXPECT_TRUE(Contents(path()) == reference_);
  }

  // Runs migrate_child on path(); its wait status.
  int RunChild(const std::vector<std::string>& flags) {
    std::vector<std::string> argv = {MIGRATE_CHILD, path()};
    argv.insert(argv.end(), flags.begin(), flags.end());
    auto child = testutil::ChildProcess::Start(argv, {.pipe_stdout = false});
    EXPECT_NE(child, nullptr);
    return child ? child->Wait() : -1;
  }

  struct RawRow {
    std::string family, key, value;
  };
  // Puts `rows` into the closed store at `dir` in one write, behind the
  // engine: what a format-1 store could hold.
  static void PutRawRows(const std::string& dir, const std::vector<RawRow>& rows) {
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir, &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const std::string& name : names)
      families.emplace_back(name, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), dir, families, &handles, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    rocksdb::WriteBatch batch;
    for (const RawRow& row : rows) {
      const size_t i = std::find(names.begin(), names.end(), row.family) - names.begin();
      ASSERT_LT(i, names.size()) << row.family;
      ASSERT_TRUE(batch.Put(handles[i], row.key, row.value).ok());
    }
    EXPECT_TRUE(db->Write(rocksdb::WriteOptions(), &batch).ok());
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  }
  static void PutRaw(const std::string& dir, const std::string& family, const std::string& key,
                     const std::string& value) {
    PutRawRows(dir, {{family, key, value}});
  }

  // The migration of path() fails with Corruption whose message has
  // `what`, leaves no stage, and the store is still format 1.
  void ExpectRefusedAsCorrupt(const std::string& what) {
    auto info = Store::Migrate(path());
    ASSERT_TRUE(info.status().IsCorruption()) << info.status().ToString();
    const std::string message(info.status().message());
    EXPECT_NE(message.find(what), std::string::npos) << message;
    EXPECT_NE(message.find("evlog verify"), std::string::npos) << message;
    EXPECT_EQ(Leftovers(parent(), {"store"}), std::vector<std::string>{});
    auto store = Store::Open(FixtureOptions(), path());
    EXPECT_TRUE(store.status().IsNotSupported()) << store.status().ToString();
  }

  // One format-1 commit of `events` (to a new stream, all with caller ids,
  // at the positions after the fixture's), written behind the engine as the
  // format-1 writer wrote it: a record per key in `log` and `stream`, the
  // stream row, index rows with empty values, a `dedup` row per id, the
  // counters.
  void PutFormat1Commit(const std::string& stream, const std::vector<EventData>& events,
                        int64_t commit_us) {
    uint64_t stream_id = 0;
    for (const auto& [key, value] : reference_.at("default")) {
      if (key == keys::kNextStreamId) {
        ASSERT_TRUE(keys::ParseCounter(value, &stream_id));
      }
    }
    ASSERT_GT(stream_id, 0u);
    std::vector<RawRow> rows;
    const uint64_t first = kFixtureLastPosition + 1;
    rows.push_back(
        {"streams", stream, codec::EncodeStreamRow({stream_id, Position(first), false})});
    for (size_t i = 0; i < events.size(); ++i) {
      const Position p(first + i);
      std::string record;
      codec::EncodeEvent(stream, events[i], events[i].id, &record);
      codec::PatchEvent(&record, p, Version(i + 1), commit_us);
      rows.push_back({"log", keys::LogKey(p), record});
      rows.push_back({"stream", keys::StreamKey(stream_id, Version(i + 1)), record});
      rows.push_back({"by_category", keys::IndexKey(CategoryOf(stream), p), ""});
      rows.push_back({"by_type", keys::IndexKey(events[i].type, p), ""});
      rows.push_back({"dedup", keys::DedupKey(events[i].id), keys::DedupValue(p, commit_us)});
    }
    rows.push_back({"default", std::string(keys::kLastPosition),
                    keys::EncodeCounter(kFixtureLastPosition + events.size())});
    rows.push_back(
        {"default", std::string(keys::kNextStreamId), keys::EncodeCounter(stream_id + 1)});
    PutRawRows(path(), rows);
  }

  testutil::TempDir dir_;
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> reference_;
};

TEST_F(Migrate, AFormat1StoreIsRefusedWithAMessageNamingMigrate) {
  const std::string want = "store '" + path() +
                           "' is in format 1; this evlog reads format 2: run `evlog migrate "
                           "--db " +
                           path() + "`";
  auto writable = Store::Open(FixtureOptions(), path());
  ASSERT_TRUE(writable.status().IsNotSupported()) << writable.status().ToString();
  EXPECT_EQ(std::string(writable.status().message()).substr(0, want.size()), want);
  auto read_only = Store::Open(FixtureOptions({.read_only = true}), path());
  ASSERT_TRUE(read_only.status().IsNotSupported()) << read_only.status().ToString();
  EXPECT_EQ(std::string(read_only.status().message()).substr(0, want.size()), want);
  // Refused before RocksDB opened it for writing: no family added, no new
  // manifest, table or log; not a byte changed.
  EXPECT_EQ(Files(path()), Files(kFixture / "store"));
  std::vector<std::string> families;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path(), &families).ok());
  EXPECT_EQ(std::count(families.begin(), families.end(), "ids"), 0);
}

TEST_F(Migrate, AFreshStoreIsCreatedInFormat2) {
  const std::string fresh = (parent() / "fresh").string();
  ASSERT_OK(Store::Open(Options{}, fresh).status());
  auto again = Store::Migrate(fresh);
  ASSERT_OK(again.status());
  EXPECT_FALSE(again->migrated);
  EXPECT_TRUE(Store::Open(Options{}, fresh).ok());
}

TEST_F(Migrate, TheFixtureMigratesVerifiesAndReadsAsBefore) {
  auto info = Store::Migrate(path());
  ASSERT_OK(info.status());
  EXPECT_TRUE(info->migrated);
  EXPECT_EQ(info->last_position, Position(kFixtureLastPosition));
  // Reclaimed positions stay gaps: the events are those the log held.
  EXPECT_LT(info->events, kFixtureLastPosition);
  {
    auto store = Store::Open(FixtureOptions({.read_only = true}), path());
    ASSERT_OK(store.status());
    auto report = (*store)->Verify();
    ASSERT_OK(report.status());
    EXPECT_EQ(report->events, info->events);
    EXPECT_GT(report->reclaimed, 0u);
  }
  EXPECT_TRUE(info->old_store.empty());
  EXPECT_EQ(Leftovers(parent(), {"store"}), std::vector<std::string>{});
  ExpectTheNewStore();
  // A second run finds format 2 and changes nothing.
  auto again = Store::Migrate(path());
  ASSERT_OK(again.status());
  EXPECT_FALSE(again->migrated);
  ExpectTheNewStore();
}

// Every `dedup` row whose event the log still holds becomes an entry of
// the ids chunk of that event's log chunk, as the writer writes it (key,
// commit time, encoding); rows of reclaimed events (sensor-1's first 40)
// are dropped, and no `dedup` row is left.
TEST_F(Migrate, CallerIdsBecomeTheIdsChunksOfTheirLogChunksAndNoDedupRowIsLeft) {
  std::set<std::pair<uint64_t, Uuid>> expected;
  for (const auto& [key, value] : reference_.at("dedup")) {
    ASSERT_EQ(key.size(), 16u);
    std::array<uint8_t, 16> bytes;
    std::copy(key.begin(), key.end(), bytes.begin());
    const Uuid id(bytes);
    Position p;
    int64_t us = 0;
    ASSERT_TRUE(keys::ParseDedupValue(value, &p, &us));
    const bool reclaimed = id >= FixtureId(100) && id < FixtureId(140);
    if (!reclaimed) expected.emplace(p.value(), id);
  }
  ASSERT_EQ(expected.size(), 3u + 60u + 2u + 1u);  // order-1..3, sensor-1, invoice-1, blob-1

  ASSERT_OK(Store::Migrate(path()).status());
  auto contents = Contents(path());
  EXPECT_TRUE(contents["dedup"].empty());
  struct LogChunk {
    uint64_t first;
    int64_t commit_us;
  };
  std::map<uint64_t, LogChunk> log;  // by key: the chunk's last position
  for (const auto& [key, value] : contents["log"]) {
    Position last;
    ASSERT_TRUE(keys::ParseLogKey(key, &last));
    chunk::ChunkView view;
    ASSERT_OK(chunk::ParseChunk(value, chunk::ChunkKind::kLog, last.value(), &view));
    log[last.value()] = LogChunk{view.first, view.max_us};
  }
  std::set<std::pair<uint64_t, Uuid>> found;
  for (const auto& [key, value] : contents["ids"]) {
    Position last;
    ASSERT_TRUE(keys::ParseLogKey(key, &last));
    SCOPED_TRACE("ids chunk at " + std::to_string(last.value()));
    ASSERT_EQ(log.count(last.value()), 1u) << "not the key of a log chunk";
    const LogChunk& of = log[last.value()];
    int64_t us = 0;
    std::vector<chunk::IdEntry> entries;
    ASSERT_OK(chunk::DecodeIds(value, last.value(), &us, &entries));
    EXPECT_EQ(us, of.commit_us);
    EXPECT_EQ(value, chunk::EncodeIds(last.value(), us, entries));
    for (const chunk::IdEntry& e : entries) {
      EXPECT_GE(e.position, of.first);
      found.emplace(e.position, e.id);
    }
  }
  EXPECT_EQ(found, expected);
  ExpectTheNewStore();  // verifies clean: each id is its event's
}

// A retry of a format-1 append whose ids were acknowledged is a duplicate
// after the migration, and after every later reopen (the window is rebuilt
// from the ids chunks alone); an id whose event was reclaimed is not one,
// as it was not in format 1.
TEST_F(Migrate, RetriesOfFormat1AppendsAreDeduplicatedAfterTheMigration) {
  ASSERT_OK(Store::Migrate(path()).status());
  const auto event = [](const std::string& type, uint32_t n) {
    return EventData{
        .type = type, .data = "{}", .content_type = ContentType::kJson, .id = FixtureId(n)};
  };
  struct Retry {
    std::string stream;
    std::vector<EventData> events;
    uint64_t first_position;
  };
  const std::vector<Retry> retries = {
      {"order-1", {event("OrderPlaced", 1)}, 1},
      {"sensor-1", {event("Reading", 150), event("Reading", 151)}, 60},
      {"invoice-1", {event("InvoiceIssued", 300), event("InvoicePaid", 301)}, 111},
      {"blob-1", {event("BlobStored", 400)}, 114},
  };
  for (int open = 0; open < 2; ++open) {
    SCOPED_TRACE(open == 0 ? "first open" : "reopened");
    auto store = Store::Open(FixtureOptions(), path());
    ASSERT_OK(store.status());
    for (const Retry& retry : retries) {
      SCOPED_TRACE(retry.stream);
      auto r = (*store)->Append(
          AppendRequest{.streams = {{.stream = retry.stream, .events = retry.events}}});
      ASSERT_OK(r.status());
      EXPECT_TRUE(r->deduplicated);
      ASSERT_EQ(r->streams.size(), 1u);
      EXPECT_EQ(r->streams[0].first_position, Position(retry.first_position));
    }
    EXPECT_EQ((*store)->LastPosition(), Position(kFixtureLastPosition + open));
    if (open == 0) {
      auto reclaimed = (*store)->Append(
          AppendRequest{.streams = {{.stream = "sensor-1", .events = {event("Reading", 120)}}}});
      ASSERT_OK(reclaimed.status());
      EXPECT_FALSE(reclaimed->deduplicated);
      EXPECT_EQ(reclaimed->streams[0].first_position, Position(kFixtureLastPosition + 1));
    }
    Result<VerifyReport> report = (*store)->Verify();
    ASSERT_OK(report.status());
    EXPECT_TRUE(report->ok()) << (report->problems.empty() ? "" : report->problems[0]);
  }
  EXPECT_TRUE(Contents(path())["dedup"].empty());
}

// A format-1 commit larger than a log chunk (300 events of ~400 bytes, all
// with caller ids: over 64 KiB, three log chunks sealed by bytes) gives
// each log chunk its own ids chunk holding exactly its positions' ids at
// its commit time; the store verifies clean, and a retry of the whole
// append after a reopen is a duplicate.
TEST_F(Migrate, ACommitLargerThanALogChunkGetsAnIdsChunkPerLogChunk) {
  constexpr size_t kEvents = 300;
  std::vector<EventData> events;
  std::map<uint64_t, Uuid> ids;  // by position
  for (size_t i = 0; i < kEvents; ++i) {
    events.push_back(EventData{
        .type = "BulkLoaded",
        .data = "{\"n\":" + std::to_string(i) + ",\"pad\":\"" + std::string(400, 'x') + "\"}",
        .content_type = ContentType::kJson,
        .id = FixtureId(1000 + static_cast<uint32_t>(i))});
    ids[kFixtureLastPosition + 1 + i] = events.back().id;
  }
  const int64_t commit_us = WallMicros();
  ASSERT_NO_FATAL_FAILURE(PutFormat1Commit("bulk-1", events, commit_us));

  auto info = Store::Migrate(path());
  ASSERT_OK(info.status());
  EXPECT_EQ(info->last_position, Position(kFixtureLastPosition + kEvents));
  auto contents = Contents(path());
  std::map<std::string, std::string> ids_chunks(contents["ids"].begin(), contents["ids"].end());
  size_t chunks = 0;
  uint64_t covered = kFixtureLastPosition;  // the commit's positions seen so far
  for (const auto& [key, value] : contents["log"]) {
    Position last;
    ASSERT_TRUE(keys::ParseLogKey(key, &last));
    if (last.value() <= kFixtureLastPosition) continue;
    SCOPED_TRACE("log chunk at " + std::to_string(last.value()));
    chunk::ChunkView view;
    ASSERT_OK(chunk::ParseChunk(value, chunk::ChunkKind::kLog, last.value(), &view));
    EXPECT_EQ(view.first, covered + 1);
    EXPECT_EQ(view.max_us, commit_us);
    covered = last.value();
    ++chunks;
    auto found = ids_chunks.find(key);
    ASSERT_NE(found, ids_chunks.end()) << "no ids chunk";
    int64_t us = 0;
    std::vector<chunk::IdEntry> entries;
    ASSERT_OK(chunk::DecodeIds(found->second, last.value(), &us, &entries));
    EXPECT_EQ(us, commit_us);
    std::vector<chunk::IdEntry> want;
    for (uint64_t p = view.first; p <= last.value(); ++p) want.push_back({p, ids[p]});
    EXPECT_EQ(entries, want);
  }
  EXPECT_EQ(covered, kFixtureLastPosition + kEvents);
  EXPECT_GE(chunks, 2u);  // sealed by size, ids on both sides
  EXPECT_TRUE(contents["dedup"].empty());

  for (int open = 0; open < 2; ++open) {
    SCOPED_TRACE(open == 0 ? "first open" : "reopened");
    auto store = Store::Open(FixtureOptions(), path());
    ASSERT_OK(store.status());
    Result<VerifyReport> report = (*store)->Verify();
    ASSERT_OK(report.status());
    EXPECT_TRUE(report->ok()) << (report->problems.empty() ? "" : report->problems[0]);
    auto retry =
        (*store)->Append(AppendRequest{.streams = {{.stream = "bulk-1", .events = events}}});
    ASSERT_OK(retry.status());
    EXPECT_TRUE(retry->deduplicated);
    ASSERT_EQ(retry->streams.size(), 1u);
    EXPECT_EQ(retry->streams[0].first_position, Position(kFixtureLastPosition + 1));
    EXPECT_EQ(retry->streams[0].last_position, Position(kFixtureLastPosition + kEvents));
    EXPECT_EQ((*store)->LastPosition(), Position(kFixtureLastPosition + kEvents));
  }
}

// A `dedup` row that names an event with another id is damage the old
// store holds: the migration refuses it and leaves the old store.
TEST_F(Migrate, ADedupRowNamingAnotherEventIsRefusedAndTheOldStoreLeft) {
  // Position 2 is order-1's second event, whose id was generated.
  ASSERT_NO_FATAL_FAILURE(
      PutRaw(path(), "dedup", keys::DedupKey(FixtureId(999)), keys::DedupValue(Position(2), 0)));
  ExpectRefusedAsCorrupt("whose event has id");
}

// A row past the store's last position names no event that ever was: not
// dropped as reclaimed, refused.
TEST_F(Migrate, ADedupRowPastTheLastPositionIsRefusedAndTheOldStoreLeft) {
  ASSERT_NO_FATAL_FAILURE(PutRaw(path(), "dedup", keys::DedupKey(FixtureId(999)),
                                 keys::DedupValue(Position(1'000'000), 0)));
  ExpectRefusedAsCorrupt("past the last position");
}

// Every format-1 record is decoded (FlatBuffers verifier, position against
// key) before it is carried: a damaged one is refused, naming verify.
TEST_F(Migrate, ADamagedFormat1RecordIsRefusedAndTheOldStoreLeft) {
  ASSERT_NO_FATAL_FAILURE(PutRaw(path(), "log", keys::LogKey(Position(2)), "not a record"));
  ExpectRefusedAsCorrupt("format-1 log position 2");
}

// Too little free space beside the store is refused before anything is
// opened or written: the store's files stay byte for byte as they were.
// Exactly what MigrateSpaceNeeded asks is enough.
TEST_F(Migrate, TooLittleFreeSpaceIsRefusedAndChangesNothing) {
  uint64_t store_bytes = 0;
  for (const auto& [name, content] : Files(path())) store_bytes += content.size();
  const uint64_t needed = MigrateSpaceNeeded(store_bytes);
  EXPECT_GT(needed, store_bytes);
  std::string asked;
  uint64_t available = needed - 1;
  MigrateHooks hooks;
  hooks.free_bytes = [&](const std::string& dir) -> Result<uint64_t> {
    asked = dir;
    return available;
  };
  auto info = MigrateStore(path(), {}, hooks);
  ASSERT_TRUE(info.status().IsIOError()) << info.status().ToString();
  const std::string message(info.status().message());
  EXPECT_EQ(asked, parent().string());
  for (uint64_t figure : {store_bytes, needed, needed - 1}) {
    EXPECT_NE(message.find(std::to_string(figure) + " bytes"), std::string::npos)
        << figure << " not in: " << message;
  }
  EXPECT_EQ(Files(path()), Files(kFixture / "store"));
  EXPECT_EQ(Leftovers(parent(), {"store"}), std::vector<std::string>{});

  available = needed;
  ASSERT_OK(MigrateStore(path(), {}, hooks).status());
  ExpectTheNewStore();
}

TEST_F(Migrate, KeepOldKeepsTheFormat1StoreBesideTheNewOne) {
  auto info = Store::Migrate(path(), {.keep_old = true});
  ASSERT_OK(info.status());
  EXPECT_EQ(info->old_store, path() + ".format1");
  EXPECT_TRUE(Contents(path() + ".format1") == reference_);
  ExpectTheNewStore();
  // Its place is taken: a second keep_old run of another copy is refused.
  auto again = Store::Migrate(path(), {.keep_old = true});
  EXPECT_TRUE(again.status().IsInvalidArgument()) << again.status().ToString();
}

TEST_F(Migrate, AStoreOpenForWritingIsBusyAndUnchanged) {
  // A format-1 writer is simulated by RocksDB itself holding the lock.
  std::vector<std::string> names;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path(), &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const std::string& name : names) families.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), path(), families, &handles, &raw).ok());
  std::unique_ptr<rocksdb::DB> writer(raw);
  auto info = Store::Migrate(path());
  EXPECT_TRUE(info.status().IsBusy()) << info.status().ToString();
  EXPECT_EQ(Leftovers(parent(), {"store"}), std::vector<std::string>{});
  for (auto* h : handles) writer->DestroyColumnFamilyHandle(h);
  writer.reset();
}

// The writer opens the store in the moment between the old instance's
// close and the swap's lock: the lock (OFD against RocksDB's classic one)
// sees it, nothing is swapped, and the store is still format 1.
TEST_F(Migrate, AWriterThatSlipsInBeforeTheSwapAbortsTheMigration) {
  std::unique_ptr<rocksdb::DB> writer;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  MigrateHooks hooks;
  hooks.at_phase = [&](std::string_view phase) {
    if (phase != "closed") return;
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path(), &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const std::string& name : names)
      families.emplace_back(name, rocksdb::ColumnFamilyOptions());
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), path(), families, &handles, &raw).ok());
    writer.reset(raw);
  };
  auto info = MigrateStore(path(), {}, hooks);
  EXPECT_TRUE(info.status().IsBusy()) << info.status().ToString();
  ASSERT_NE(writer, nullptr);
  for (auto* h : handles) writer->DestroyColumnFamilyHandle(h);
  writer.reset();
  EXPECT_EQ(Leftovers(parent(), {"store"}), std::vector<std::string>{});
  auto store = Store::Open(FixtureOptions(), path());
  EXPECT_TRUE(store.status().IsNotSupported()) << store.status().ToString();
  // Once it is gone, the migration goes through.
  ASSERT_OK(Store::Migrate(path()).status());
  ExpectTheNewStore();
}

// SIGKILL at each phase boundary (the child kills itself there): before the
// swap the old store is at path(), byte for byte; from the swap on, the new
// one. Either way the next run completes the migration.
TEST_F(Migrate, AKillAtAnyPointLeavesTheOldStoreOrTheNew) {
  const std::vector<std::string> phases = {"opened", "built",  "verified", "synced", "closed",
                                           "locked", "marked", "swapped",  "done"};
  for (const std::string& phase : phases) {
    SCOPED_TRACE("killed at " + phase);
    fs::remove_all(parent());
    SetUp();
    const int status = RunChild({"--stop-at", phase});
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
    if (phase == "swapped" || phase == "done") {
      ExpectTheNewStore();
    } else {
      ExpectTheOldStore();
    }
    EXPECT_EQ(Leftovers(parent(), {"store"}), std::vector<std::string>{});
    ASSERT_OK(Store::Migrate(path()).status());
    ExpectTheNewStore();
  }
}

// The same at moments no hook names: a few kills after random delays
// within one migration's time (bounded: 4 rounds).
TEST_F(Migrate, AKillAtARandomMomentLeavesTheOldStoreOrTheNew) {
  const auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(RunChild({}), 0);
  const auto whole = std::chrono::steady_clock::now() - start;
  std::mt19937 random(std::random_device{}());
  for (int round = 0; round < 4; ++round) {
    fs::remove_all(parent());
    SetUp();
    const auto delay = std::chrono::duration_cast<std::chrono::microseconds>(whole) *
                       std::uniform_real_distribution<double>(0, 1)(random);
    SCOPED_TRACE("killed after " + std::to_string(delay.count()) + " us");
    auto child = testutil::ChildProcess::Start({MIGRATE_CHILD, path()}, {.pipe_stdout = false});
    ASSERT_NE(child, nullptr);
    std::this_thread::sleep_for(delay);  // when to crash, not a barrier
    child->KillAndWait(SIGKILL);
    auto store = Store::Open(FixtureOptions(), path());
    if (store.ok()) {
      store->reset();
      ExpectTheNewStore();
    } else {
      ExpectTheOldStore();
    }
    ASSERT_OK(Store::Migrate(path()).status());
    ExpectTheNewStore();
    EXPECT_EQ(Leftovers(parent(), {"store"}), std::vector<std::string>{});
  }
}

// Without RENAME_EXCHANGE the swap is two renames, with no store at path()
// between them: a kill there leaves the stage's ready marker, and the next
// open rolls the new store forward into place.
TEST_F(Migrate, WithoutRenameExchangeAKillBetweenTheRenamesRollsForward) {
  const int status = RunChild({"--no-exchange", "--stop-at", "renamed-old"});
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  EXPECT_FALSE(fs::exists(path()));
  ExpectTheNewStore();
  EXPECT_EQ(Leftovers(parent(), {"store"}), std::vector<std::string>{});
}

TEST_F(Migrate, WithoutRenameExchangeKeepOldSurvivesAKillBetweenTheRenames) {
  const int status = RunChild({"--no-exchange", "--keep-old", "--stop-at", "renamed-old"});
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  auto info = Store::Migrate(path());  // recovers first, then finds format 2
  ASSERT_OK(info.status());
  EXPECT_FALSE(info->migrated);
  EXPECT_TRUE(Contents(path() + ".format1") == reference_);
  ExpectTheNewStore();
}

TEST_F(Migrate, ARunAfterAKillCompletesTheMigration) {
  const int status = RunChild({"--stop-at", "built"});
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  EXPECT_EQ(RunChild({}), 0);
  EXPECT_EQ(Leftovers(parent(), {"store"}), std::vector<std::string>{});
  ExpectTheNewStore();
}

}  // namespace
}  // namespace evlog
