// SQLite as a bench target: what an embedded user picks instead. WAL mode,
// synchronous=NORMAL for buffered appends and FULL for durable ones; one
// table with the global position as its rowid and a unique (stream, version)
// key; one transaction per append that reads the stream's version, checks
// the expected one and inserts. SQLite has one writer at a time: concurrent
// appenders each have a connection and take turns on a mutex (better than
// its busy handler's sleeps). With caller-given ids (W5) the id column is
// UNIQUE and each append's transaction looks its id up first: a retry
// commits nothing and succeeds.

#include <sqlite3.h>

#include <array>
#include <atomic>
#include <random>
#include <thread>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench_util.h"
#include "target.h"

namespace evlog::bench {
namespace {

constexpr char kSchema[] =
    "CREATE TABLE IF NOT EXISTS events ("
    " position INTEGER PRIMARY KEY,"
    " stream TEXT NOT NULL,"
    " version INTEGER NOT NULL,"
    " type TEXT NOT NULL,"
    " id BLOB NOT NULL,"
    " timestamp_us INTEGER NOT NULL,"
    " data BLOB NOT NULL,"
    " UNIQUE (stream, version))";
// Q1: which events carry which tag, looked up by tag.
constexpr char kTagsSchema[] =
    "CREATE TABLE IF NOT EXISTS tags (tag TEXT NOT NULL, position INTEGER NOT NULL,"
    " PRIMARY KEY (tag, position)) WITHOUT ROWID";
// W5: the id column is UNIQUE (SQLite keeps a unique index on it).
constexpr char kUniqueIds[] = "CREATE UNIQUE INDEX IF NOT EXISTS events_id ON events (id)";

class Statement {
 public:
  Statement(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) {
      throw std::runtime_error(std::string("sqlite prepare: ") + sqlite3_errmsg(db));
    }
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

// One connection with the append and read statements prepared.
class Connection {
 public:
  Connection(const std::string& path, bool sync, bool event_ids) : event_ids_(event_ids) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) {
      std::string message = sqlite3_errmsg(db_);
      sqlite3_close(db_);
      throw std::runtime_error("sqlite open: " + message);
    }
    Exec("PRAGMA journal_mode=WAL");
    Exec(sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    Exec("PRAGMA busy_timeout=10000");
    Exec(kSchema);
    if (event_ids_) Exec(kUniqueIds);
    begin_ = std::make_unique<Statement>(db_, "BEGIN IMMEDIATE");
    commit_ = std::make_unique<Statement>(db_, "COMMIT");
    head_ = std::make_unique<Statement>(
        db_, "SELECT coalesce(max(version), 0) FROM events WHERE stream = ?1");
    insert_ = std::make_unique<Statement>(
        db_,
        "INSERT INTO events (stream, version, type, id, timestamp_us, data) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    find_id_ = std::make_unique<Statement>(db_, "SELECT 1 FROM events WHERE id = ?1");
  }
  ~Connection() {
    begin_.reset();
    commit_.reset();
    head_.reset();
    insert_.reset();
    find_id_.reset();
    sqlite3_close(db_);
  }

  void Exec(const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
      std::string message = error != nullptr ? error : "?";
      sqlite3_free(error);
      throw std::runtime_error(std::string("sqlite: ") + sql + ": " + message);
    }
  }

  bool Step(const Statement& s) {
    int rc = sqlite3_step(s.get());
    sqlite3_reset(s.get());
    return rc == SQLITE_DONE;
  }

  // Appends `count` events to stream "stream-<n>" in one transaction if
  // the stream is at `expected`. With ids, the events' ids are EventId(n,
  // version), and an append whose first id is in the table already (a
  // retry) commits nothing and succeeds.
  bool Append(const std::string& stream, uint64_t n, uint64_t expected, int count) {
    if (!Step(*begin_)) return false;
    if (event_ids_) {
      const auto id = EventId(n, expected + 1);
      sqlite3_stmt* find = find_id_->get();
      sqlite3_bind_blob(find, 1, id.data(), static_cast<int>(id.size()), SQLITE_STATIC);
      const int rc = sqlite3_step(find);
      sqlite3_reset(find);
      if (rc == SQLITE_ROW) return Step(*commit_);
      if (rc != SQLITE_DONE) {
        Exec("ROLLBACK");
        return false;
      }
    }
    sqlite3_stmt* head = head_->get();
    sqlite3_bind_text(head, 1, stream.data(), static_cast<int>(stream.size()), SQLITE_STATIC);
    bool ok = sqlite3_step(head) == SQLITE_ROW &&
              static_cast<uint64_t>(sqlite3_column_int64(head, 0)) == expected;
    sqlite3_reset(head);
    for (int i = 0; ok && i < count; ++i) {
      ok = Insert(stream, n, expected + 1 + static_cast<uint64_t>(i));
    }
    if (!ok) {
      Exec("ROLLBACK");
      return false;
    }
    return Step(*commit_);
  }

  // Inserts the event at `version` of stream `stream` (number `n`), with
  // its EventId if the connection has ids and a constant id otherwise.
  bool Insert(const std::string& stream, uint64_t n, uint64_t version,
              const char* type = kEventType) {
    static const std::array<uint8_t, 16> kNoId = [] {
      std::array<uint8_t, 16> a;
      a.fill('i');
      return a;
    }();
    const std::array<uint8_t, 16> id = event_ids_ ? EventId(n, version) : kNoId;
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    sqlite3_stmt* insert = insert_->get();
    sqlite3_bind_text(insert, 1, stream.data(), static_cast<int>(stream.size()), SQLITE_STATIC);
    sqlite3_bind_int64(insert, 2, static_cast<sqlite3_int64>(version));
    sqlite3_bind_text(insert, 3, type, -1, SQLITE_STATIC);
    sqlite3_bind_blob(insert, 4, id.data(), static_cast<int>(id.size()), SQLITE_STATIC);
    sqlite3_bind_int64(insert, 5,
                       std::chrono::duration_cast<std::chrono::microseconds>(now).count());
    sqlite3_bind_blob(insert, 6, Payload().data(), static_cast<int>(Payload().size()),
                      SQLITE_STATIC);
    return Step(*insert_);
  }

  sqlite3* db() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
  bool event_ids_;
  std::unique_ptr<Statement> begin_, commit_, head_, insert_, find_id_;
};

// A1 in SQL: one BEGIN IMMEDIATE transaction reads the product's rows in
// version order, folds them, decides, and inserts at the next version under
// the UNIQUE (stream, version) key. The clerks share one connection and
// take turns on the target's mutex: the key never refuses an insert (if it
// did, that is a conflict: rolled back, loaded and decided again). One
// connection, since every command runs under the mutex anyway: its page
// cache serves them all (a WAL-mode connection drops its cache whenever
// another has written). SQLite has no snapshots: every load reads the
// whole stream, whose rows lie on about as many pages as it has events
// (the products' events interleave in the table).
class SqliteClerk final : public InventoryClerk {
 public:
  SqliteClerk(Connection& connection, std::mutex& writer)
      : connection_(connection),
        select_(connection_.db(),
                "SELECT version, type, data FROM events WHERE stream = ?1 ORDER BY version"),
        writer_(writer) {}

  CommandOutcome Handle(uint64_t product, InventoryCommand command) override {
    const std::string stream = ProductName(product);
    CommandOutcome outcome;
    std::lock_guard<std::mutex> lock(writer_);
    for (;;) {
      connection_.Exec("BEGIN IMMEDIATE");
      uint64_t version = 0;
      const Stock stock = Read(stream, &version);
      const char* type = DecideCommand(stock, command);
      if (type == nullptr) {
        connection_.Exec("COMMIT");
        return outcome;
      }
      if (connection_.Insert(stream, product, version + 1, type)) {
        connection_.Exec("COMMIT");
        outcome.committed = true;
        return outcome;
      }
      const int error = sqlite3_errcode(connection_.db());
      connection_.Exec("ROLLBACK");
      if (error != SQLITE_CONSTRAINT) throw std::runtime_error("A1: sqlite insert failed");
      ++outcome.conflicts;
    }
  }

  Stock Load(uint64_t product, uint64_t* version) override {
    std::lock_guard<std::mutex> lock(writer_);
    return Read(ProductName(product), version);
  }

 private:
  // Folds the stream's rows, every payload fetched as a load would.
  Stock Read(const std::string& stream, uint64_t* version) {
    sqlite3_stmt* select = select_.get();
    sqlite3_bind_text(select, 1, stream.data(), static_cast<int>(stream.size()), SQLITE_STATIC);
    Stock stock;
    *version = 0;
    int rc;
    bool whole = true;
    while ((rc = sqlite3_step(select)) == SQLITE_ROW) {
      *version = static_cast<uint64_t>(sqlite3_column_int64(select, 0));
      const auto* type = reinterpret_cast<const char*>(sqlite3_column_text(select, 1));
      ApplyStock(stock, type != nullptr ? type : "");
      whole = whole && sqlite3_column_blob(select, 2) != nullptr &&
              sqlite3_column_bytes(select, 2) == static_cast<int>(Payload().size());
    }
    sqlite3_reset(select);
    if (rc != SQLITE_DONE || !whole) throw std::runtime_error("A1: sqlite read failed");
    return stock;
  }

  Connection& connection_;
  Statement select_;
  std::mutex& writer_;
};

class SqliteTarget final : public Target {
 public:
  SqliteTarget(const std::string& dir, const TargetOptions& options)
      : path_(dir + "/events.sqlite"),
        event_ids_(options.event_ids),
        main_(path_, options.sync, event_ids_) {}

  int64_t AppendRoundRobin(const StreamSet& streams, int64_t appends, bool sync, bool,
                           LatencySink sink, void* sink_context) override {
    Connection connection(path_, sync, event_ids_);
    return RoundRobin(streams, appends, sink, sink_context,
                      [&](const std::string& name, uint64_t n, uint64_t expected) {
                        std::lock_guard<std::mutex> lock(writer_);
                        return connection.Append(name, n, expected, 1);
                      });
  }

  int64_t AppendBatches(uint64_t stream, int64_t appends, int batch, bool) override {
    std::string name;
    StreamName(stream, &name);
    int64_t failed = 0;
    for (int64_t i = 0; i < appends; ++i) {
      if (!main_.Append(name, stream, static_cast<uint64_t>(i * batch), batch)) ++failed;
    }
    return failed;
  }

  void Load(int64_t events, uint64_t streams) override {
    std::unordered_map<uint64_t, uint64_t> versions;
    std::string name;
    for (int64_t i = 0; i < events;) {
      main_.Exec("BEGIN");
      for (int k = 0; k < 10'000 && i < events; ++k, ++i) {
        const uint64_t s = static_cast<uint64_t>(i) % streams;
        StreamName(s, &name);
        if (!main_.Insert(name, s, ++versions[s])) throw std::runtime_error("load: insert failed");
      }
      main_.Exec("COMMIT");
    }
  }

  void Settle() override { main_.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); }

  // Every product's history in transactions of up to 10,000 inserts.
  void LoadInventory(int products, int64_t history) override {
    const int64_t total = history * products;
    for (int64_t i = 0; i < total;) {
      main_.Exec("BEGIN");
      for (int k = 0; k < 10'000 && i < total; ++k, ++i) {
        const auto p = static_cast<uint64_t>(i % products);
        const int64_t version = i / products;  // from 0: the event's index
        if (!main_.Insert(ProductName(p), p, static_cast<uint64_t>(version) + 1,
                          HistoryType(version))) {
          throw std::runtime_error("A1 set-up: insert failed");
        }
      }
      main_.Exec("COMMIT");
    }
  }

  std::unique_ptr<InventoryClerk> OpenClerk() override {
    std::lock_guard<std::mutex> lock(writer_);  // prepares on the shared connection
    return std::make_unique<SqliteClerk>(main_, writer_);
  }

  // The DCB decision in SQL: one BEGIN IMMEDIATE transaction reads the
  // tag's events through a (tag, position) table and inserts the event and
  // its tag; the write lock is the consistency boundary, so nothing ever
  // conflicts. The connections take turns on a mutex, as in the appends.
  int64_t Decide(int threads, int64_t decisions, int tags) override {
    main_.Exec(kTagsSchema);
    std::atomic<bool> failed{false};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        Connection c(path_, false, false);
        Statement select(c.db(),
                         "SELECT e.position, e.data FROM tags t JOIN events e "
                         "ON e.position = t.position WHERE t.tag = ?1 ORDER BY t.position");
        Statement head(c.db(), "SELECT coalesce(max(version), 0) FROM events WHERE stream = ?1");
        Statement tag_row(c.db(), "INSERT INTO tags (tag, position) VALUES (?1, ?2)");
        std::mt19937_64 rng(static_cast<uint64_t>(t) + 1);
        for (int64_t i = t; i < decisions && !failed; i += threads) {
          const uint64_t n = rng() % static_cast<uint64_t>(tags);
          const std::string k = std::to_string(n);
          const std::string tag = "entity:" + k, stream = "entity-" + k;
          std::lock_guard<std::mutex> lock(writer_);
          c.Exec("BEGIN IMMEDIATE");
          sqlite3_bind_text(select.get(), 1, tag.data(), static_cast<int>(tag.size()),
                            SQLITE_STATIC);
          int rc;
          size_t bytes = 0;
          while ((rc = sqlite3_step(select.get())) == SQLITE_ROW) {
            bytes += static_cast<size_t>(sqlite3_column_bytes(select.get(), 1));
          }
          sqlite3_reset(select.get());
          sqlite3_bind_text(head.get(), 1, stream.data(), static_cast<int>(stream.size()),
                            SQLITE_STATIC);
          bool ok = rc == SQLITE_DONE && sqlite3_step(head.get()) == SQLITE_ROW;
          const auto version = static_cast<uint64_t>(sqlite3_column_int64(head.get(), 0));
          sqlite3_reset(head.get());
          ok = ok && c.Insert(stream, n, version + 1);
          sqlite3_bind_text(tag_row.get(), 1, tag.data(), static_cast<int>(tag.size()),
                            SQLITE_STATIC);
          sqlite3_bind_int64(tag_row.get(), 2, sqlite3_last_insert_rowid(c.db()));
          ok = ok && c.Step(tag_row);
          if (!ok) {
            c.Exec("ROLLBACK");
            failed = true;
            break;
          }
          c.Exec("COMMIT");
          (void)bytes;
        }
      });
    }
    for (std::thread& w : workers) w.join();
    if (failed) throw std::runtime_error("Q1: a decision's transaction failed");
    return 0;
  }

  int64_t ReadStream(uint64_t stream) override {
    Statement select(main_.db(),
                     "SELECT position, version, type, id, timestamp_us, data FROM events "
                     "WHERE stream = ?1 ORDER BY version");
    std::string name;
    StreamName(stream, &name);
    sqlite3_bind_text(select.get(), 1, name.data(), static_cast<int>(name.size()), SQLITE_STATIC);
    return Drain(select, /*stream_order=*/true);
  }

  int64_t ScanAll() override {
    Statement select(main_.db(),
                     "SELECT position, version, type, id, timestamp_us, data, stream FROM events "
                     "ORDER BY position");
    return Drain(select, /*stream_order=*/false);
  }

 private:
  static int64_t Drain(const Statement& select, bool stream_order) {
    int64_t n = 0;
    uint64_t previous = 0;
    int rc;
    while ((rc = sqlite3_step(select.get())) == SQLITE_ROW) {
      const auto key = static_cast<uint64_t>(sqlite3_column_int64(select.get(), stream_order));
      if (stream_order ? key != previous + 1 : key <= previous) return -1;
      previous = key;
      if (sqlite3_column_bytes(select.get(), 5) != static_cast<int>(Payload().size()) ||
          sqlite3_column_blob(select.get(), 5) == nullptr) {
        return -1;
      }
      ++n;
    }
    return rc == SQLITE_DONE ? n : -1;
  }

  std::string path_;
  bool event_ids_;
  std::mutex writer_;
  Connection main_;
};

}  // namespace

std::unique_ptr<Target> OpenSqliteTarget(const std::string& dir, const TargetOptions& options) {
  return std::make_unique<SqliteTarget>(dir, options);
}

}  // namespace evlog::bench
