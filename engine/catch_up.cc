#include "catch_up.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "keys.h"
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

// OK with *complete = false if a log record in (from, to] is missing.
Status LogComplete(const Db& db, uint64_t from, uint64_t to, bool* complete) {
  *complete = true;
  if (from >= to) return Status::OK();
  std::unique_ptr<rocksdb::Iterator> it(
      db.db->NewIterator(rocksdb::ReadOptions(), db.cf(Db::kLog)));
  uint64_t expected = from + 1;
  for (it->Seek(keys::LogKey(Position(expected))); it->Valid() && expected <= to; it->Next()) {
    Position p;
    if (!keys::ParseLogKey(std::string_view(it->key().data(), it->key().size()), &p) ||
        p.value() != expected) {
      break;
    }
    ++expected;
  }
  if (!it->status().ok()) return FromRocks(it->status());
  *complete = expected > to;
  return Status::OK();
}

// Publishes what a trusted catch-up brought, if the log holds it all.
Status Publish(Db& db, bool* published) {
  *published = false;
  uint64_t last_position = 0, horizon = 0;
  if (Status s = db.ReadCounter(keys::kLastPosition, 0, &last_position); !s.ok()) return s;
  if (Status s = db.ReadCounter(keys::kTrimHorizon, 0, &horizon); !s.ok()) return s;
  if (!db.has_metadata.load() && StoreHasMetadata(db)) db.has_metadata.store(true);
  // Stream metadata (max-count, max-age) lets compactions remove records
  // above the trim horizon too: there a missing record proves nothing, and
  // the check on the writer's files above stands alone.
  if (!db.has_metadata.load()) {
    bool complete = false;
    const uint64_t from = std::max(db.commits->committed(), horizon);
    if (Status s = LogComplete(db, from, last_position, &complete); !s.ok()) return s;
    if (!complete) return Status::OK();
  }
  db.trim_horizon.store(horizon);
  if (last_position > db.commits->committed()) db.commits->Advance(last_position);
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
