#include "catch_up.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "keys.h"
#include "log_chunks.h"
#include "stream_metadata.h"

namespace evlog {

// Why a catch-up is checked (RocksDB 7.8's DBImplSecondary):
// TryCatchUpWithPrimary first reads the writer's MANIFEST, then lists the
// WAL files and replays them, and takes a WAL that is gone by then for one
// it need not read ("already purged by primary"). But a writer deletes a WAL
// as soon as its memtables are flushed — at every close (Store's destructor
// flushes) and at every open (recovery flushes the WAL it replays) — and a
// flush made after the MANIFEST was read is not seen. A writer that came and
// went between the two steps (a process per `evlog append`) leaves the
// follower without its events, while a later writer's WAL, replayed, shows
// newer ones and the `last_position` counter: a hole below the head. Each
// column family is flushed on its own, so even one writer's close can leave
// the counter (family "default") visible without the log record (family
// "log"). The next catch-up would fill the hole; a feed that moved on would
// not come back.
//
// So a catch-up is trusted only if nothing it depends on changed while it
// ran: no WAL file that was there before it is gone after it, and CURRENT
// names the same MANIFEST (every writer open writes a new one). A flush
// whose WAL was deleted before the catch-up began was written to the
// MANIFEST before the catch-up read it, so it is seen. An untrusted
// catch-up is simply repeated: the repetition reads the MANIFEST again,
// after those deletions, and so sees their flushes. (Repeating in place
// needs no reopen of the secondary instance: it follows a MANIFEST switch
// itself, and a TryAgain it reports for a MANIFEST deleted under it is one
// more reason to repeat.) As a last check, in a store without stream
// metadata, the log records of every newly committed position above the
// trim horizon must be there before the position is published.
namespace {

namespace fs = std::filesystem;

// A catch-up whose primary changes under it this many times in a row is
// left to the caller's next call (a feed's next follow interval).
constexpr int kAttempts = 4;

// What a catch-up depends on in the writer's directory.
struct WriterFiles {
  std::string current;            // the content of CURRENT: the MANIFEST's name
  std::vector<std::string> wals;  // WAL file names, sorted
  bool ok = false;
};

WriterFiles ListWriterFiles(const std::string& path) {
  WriterFiles out;
  std::ifstream in(fs::path(path) / "CURRENT");
  std::stringstream current;
  current << in.rdbuf();
  if (!in) return out;
  out.current = current.str();
  std::error_code ec;
  for (fs::directory_iterator it(path, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.ends_with(".log")) out.wals.push_back(std::move(name));
  }
  if (ec) return out;
  std::sort(out.wals.begin(), out.wals.end());
  out.ok = true;
  return out;
}

// True if nothing the catch-up between `before` and `after` read changed.
bool Unchanged(const WriterFiles& before, const WriterFiles& after) {
  if (!before.ok || !after.ok || before.current != after.current) return false;
  return std::includes(after.wals.begin(), after.wals.end(), before.wals.begin(),
                       before.wals.end());
}

// Sets *end to the highest position p >= from such that the log chunks
// covering from+1 .. p are all readable (from itself if from+1 is not). The
// first chunk may start at or below from (the trim horizon can fall inside
// a chunk); each next one continues the run while its range starts at or
// below end + 1 (§1.9). Only the chunks' headers matter: a position the
// trim filter removed from a chunk was committed.
Status ContiguousLogEnd(const Db& db, uint64_t from, uint64_t* end) {
  *end = from;
  std::unique_ptr<rocksdb::Iterator> it(
      db.db->NewIterator(rocksdb::ReadOptions(), db.cf(Db::kLog)));
  chunk::ChunkView view;
  for (it->Seek(keys::LogKey(Position(from + 1))); it->Valid(); it->Next()) {
    if (!ParseLogChunk(it->key().ToStringView(), it->value().ToStringView(), &view).ok() ||
        view.first > *end + 1) {
      break;
    }
    *end = std::max(*end, view.last());
  }
  return FromRocks(it->status());
}

// Publishes what a trusted catch-up brought, if the log holds it all.
//
// The head is the `last_position` counter or, when log records above it are
// readable, the last of them. For RocksDB 7.8's secondary instance keeps
// what it replayed from a WAL in the active memtable after the writer has
// flushed that WAL and deleted it, and a point read (Get) takes the
// memtable's value before any newer one in the table files: the memtable is
// only sealed, and dropped, when a later WAL brings a write to the same
// column family (db/db_impl/db_impl_secondary.cc, RecoverLogFiles, "If the
// active memtable contains records added by replaying an earlier WAL ...";
// upstream issues facebook/rocksdb#14444 and #15051, fixed after 7.8). So
// after a writer killed with its WAL replayed here, a writer process that
// comes and goes without a WAL left to replay (its open flushes the killed
// one's WAL, its close its own) leaves the counter reading stale until some
// later writer's WAL is replayed: the feed stopped there. Log records are
// never overwritten, only added and (by trims) removed, so a stale memtable
// cannot hide one: an iterator sees every record the table files hold. And
// the writer commits the records of a group and the counter in one batch, so
// a readable record is a committed one.
Status Publish(Db& db, bool* published) {
  *published = false;
  uint64_t last_position = 0, horizon = 0;
  if (Status s = db.ReadCounter(keys::kLastPosition, 0, &last_position); !s.ok()) return s;
  if (Status s = db.ReadCounter(keys::kTrimHorizon, 0, &horizon); !s.ok()) return s;
  // The horizon only rises; a stale read of it (see above) must not lower it.
  horizon = std::max(horizon, db.trim_horizon.load());
  if (!db.has_metadata.load() && StoreHasMetadata(db)) db.has_metadata.store(true);
  uint64_t head = last_position;
  if (!db.has_metadata.load()) {
    // Every record from the feeds' position (or the trim horizon) up to the
    // head must be readable.
    const uint64_t from = std::max(db.commits->committed(), horizon);
    if (Status s = ContiguousLogEnd(db, from, &head); !s.ok()) return s;
    if (head < last_position) return Status::OK();
  } else {
    // Stream metadata (max-count, max-age) lets compactions remove records
    // above the trim horizon too: there a missing record proves nothing, and
    // the check on the writer's files above stands alone.
    if (Status s = ContiguousLogEnd(db, last_position, &head); !s.ok()) return s;
  }
  db.trim_horizon.store(horizon);
  if (head > db.commits->committed()) db.commits->Advance(head);
  *published = true;
  return Status::OK();
}

}  // namespace

Status CatchUpWithWriter(Db& db) {
  std::lock_guard<std::mutex> lock(db.catch_up_mu);
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    const WriterFiles before = ListWriterFiles(db.path);
    rocksdb::Status s = db.db->TryCatchUpWithPrimary();
    if (s.IsTryAgain()) continue;
    if (!s.ok()) return FromRocks(s);
    if (!Unchanged(before, ListWriterFiles(db.path))) continue;
    bool published = false;
    if (Status st = Publish(db, &published); !st.ok()) return st;
    if (published) break;
  }
  return Status::OK();
}

}  // namespace evlog
