// Source, written once against EventStore: the embedded store and evlogd
// differ only in how the store is opened (EmbeddedSource here, RemoteSource
// in source_remote.cc).

#include "kafka/source.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

namespace evlog::kafka {

namespace {

Status Errno(const std::string& what) {
  return Status::IOError(what + ": " + std::strerror(errno));
}

// How often an idle source looks whether its follower moved past
// filtered-out events.
constexpr std::chrono::milliseconds kIdleLook{100};

// Connection trouble a reconnect may mend.
bool Transient(const Status& s) { return s.IsIOError() || s.IsBusy() || s.IsAborted(); }

}  // namespace

Source::Source(StoreOpener open, std::string checkpoint_file, SourceOptions options,
               bool trust_position)
    : open_(std::move(open)),
      checkpoint_file_(std::move(checkpoint_file)),
      trust_position_(trust_position),
      options_(std::move(options)) {
  if (options_.batch_events == 0) options_.batch_events = 1;
}

Source::~Source() { Stop(); }

EmbeddedSource::EmbeddedSource(EventStore& store, SourceOptions options)
    : Source(
          [&store]() -> Result<std::shared_ptr<EventStore>> {
            // Borrowed: the deleter leaves the store to its owner.
            return std::shared_ptr<EventStore>(&store, [](EventStore*) {});
          },
          "", std::move(options), /*trust_position=*/true) {}

Result<Position> Source::ReadCheckpoint(const std::string& file) {
  std::ifstream in(file);
  if (!in) {
    if (access(file.c_str(), F_OK) != 0 && errno == ENOENT) return Position();
    return Errno("cannot read checkpoint file " + file);
  }
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) {
    return Status::InvalidArgument("checkpoint file " + file + " does not hold a position");
  }
  return Position(value);
}

Status Source::WriteCheckpoint(const std::string& file, Position position) {
  const std::string tmp = file + ".tmp";
  const std::string text = std::to_string(position.value()) + "\n";
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot write checkpoint file " + tmp);
  const bool written =
      write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && fsync(fd) == 0;
  const int saved = errno;
  close(fd);
  errno = saved;
  if (!written) return Errno("cannot write checkpoint file " + tmp);
  if (rename(tmp.c_str(), file.c_str()) != 0) return Errno("cannot replace " + file);
  // The rename is durable once the directory is synced.
  const size_t slash = file.rfind('/');
  const std::string dir =
      slash == std::string::npos ? "." : (slash == 0 ? "/" : file.substr(0, slash));
  const int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return Errno("cannot open " + dir);
  const bool synced = fsync(dfd) == 0;
  close(dfd);
  return synced ? Status::OK() : Errno("cannot sync " + dir);
}

Status Source::Follow() {
  follower_.reset();
  store_.reset();
  Result<std::shared_ptr<EventStore>> c = open_();
  if (!c.ok()) return c.status();
  if (checkpoint_file_.empty()) {
    // The store keeps it: what it says is where to resume.
    Result<Position> stored = (*c)->GetCheckpoint(options_.subscription);
    if (!stored.ok()) return stored.status();
    std::lock_guard<std::mutex> lock(mu_);
    checkpoint_ = *stored;
  }
  const Position from = checkpoint();
  FollowOptions follow{
      .feed = {.start = from == Position() ? FeedStart::Oldest() : FeedStart::After(from),
               .category = options_.category,
               .include_system = options_.include_system,
               .max_batch_events = options_.batch_events},
      .window = 2 * options_.batch_events,
      .auto_credit = false,
  };
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.clear();
    lost_ = Status::OK();
  }
  Result<std::unique_ptr<FeedFollower>> s =
      (*c)->Follow(follow, [this](Result<std::vector<OwnedEvent>> events) {
        std::lock_guard<std::mutex> lock(mu_);
        if (!events.ok()) {
          lost_ = events.status();
        } else {
          for (OwnedEvent& e : *events) queue_.push_back(std::move(e));
        }
        cv_.notify_all();
      });
  if (!s.ok()) return s.status();
  store_ = std::move(*c);
  follower_ = std::move(*s);
  return Status::OK();
}

Status Source::Start(BatchHandler handler) {
  if (thread_.joinable()) return Status::InvalidArgument("the source is already started");
  if (checkpoint_file_.empty()) {
    if (options_.subscription.empty()) {
      return Status::InvalidArgument("a subscription name or a checkpoint file is required");
    }
  } else {
    Result<Position> cp = ReadCheckpoint(checkpoint_file_);
    if (!cp.ok()) return cp.status();
    std::lock_guard<std::mutex> lock(mu_);
    checkpoint_ = *cp;
  }
  if (Status s = Follow(); !s.ok()) return s;
  handler_ = std::move(handler);
  thread_ = std::thread([this] { Run(); });
  return Status::OK();
}

bool Source::Backoff(uint32_t attempt) {
  auto wait = options_.initial_backoff;
  for (uint32_t i = 1; i < attempt && wait < options_.max_backoff; ++i) wait *= 2;
  wait = std::min(wait, options_.max_backoff);
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, wait, [this] { return stop_; });
  return !stop_;
}

void Source::Finish(Status s) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    status_ = std::move(s);
    finished_ = true;
  }
  cv_.notify_all();
}

void Source::Run() {
  uint32_t reconnects = 0;
  std::vector<OwnedEvent> batch;
  for (;;) {
    Status lost;
    // With the queue seen empty, the follower's position then: see below.
    Position handed_over;
    batch.clear();
    {
      std::unique_lock<std::mutex> lock(mu_);
      // Woken by events, a lost follower or Stop; and every kIdleLook, to
      // move the checkpoint past events the filter skipped.
      cv_.wait_for(lock, kIdleLook, [this] { return stop_ || !lost_.ok() || !queue_.empty(); });
      if (stop_) break;
      lost = lost_;
      while (lost.ok() && !queue_.empty() && batch.size() < options_.batch_events) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      // With nothing left queued, every event up to the follower's
      // position was handed over (Store::Follow moves it only after its
      // callback returned) and is handled once this batch is: the
      // checkpoint may pass the events its filter skipped. The position
      // must be read with the queue, under the lock: read later, it may
      // include events the follower queued meanwhile, and the checkpoint
      // would pass them before they were sent. A Client's position moves
      // before its callback runs: never trusted.
      if (lost.ok() && queue_.empty() && trust_position_) handed_over = follower_->position();
    }
    if (!lost.ok()) {
      if (!Transient(lost)) return Finish(lost);
      // Connect again after the checkpoint; what was queued comes again.
      Status s;
      do {
        if (!Backoff(++reconnects)) return Finish(Status::OK());
        s = Follow();
      } while (Transient(s));
      if (!s.ok()) return Finish(s);
      continue;
    }
    reconnects = 0;
    const Position to = std::max(batch.empty() ? Position() : batch.back().position, handed_over);
    if (to <= checkpoint()) continue;
    for (uint32_t attempt = 1; !batch.empty(); ++attempt) {
      if (handler_(batch).ok()) break;
      if (!Backoff(attempt)) return Finish(Status::OK());
    }
    const Status stored = checkpoint_file_.empty()
                              ? store_->SetCheckpoint(options_.subscription, to)
                              : WriteCheckpoint(checkpoint_file_, to);
    if (!stored.ok()) {
      if (!Transient(stored)) return Finish(stored);
      // The session was lost before the checkpoint was stored: resume from
      // the stored one, and the batch comes again.
      std::lock_guard<std::mutex> lock(mu_);
      lost_ = stored;
      continue;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      checkpoint_ = to;
    }
    cv_.notify_all();
    if (!batch.empty()) follower_->Grant(batch.size());
  }
  Finish(Status::OK());
}

Status Source::Wait(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!cv_.wait_for(lock, timeout, [this] { return finished_; })) {
    return Status::TimedOut("the source is running");
  }
  return status_;
}

Status Source::WaitFor(Position position, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return checkpoint_ >= position || finished_; });
  if (checkpoint_ >= position) return Status::OK();
  if (finished_) return status_.ok() ? Status::Aborted("the source stopped") : status_;
  return Status::TimedOut("the source is at position " + std::to_string(checkpoint_.value()) +
                          ", waited for " + std::to_string(position.value()));
}

void Source::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (follower_ != nullptr) (void)follower_->Cancel();
  follower_.reset();
  store_.reset();
}

Position Source::checkpoint() const {
  std::lock_guard<std::mutex> lock(mu_);
  return checkpoint_;
}

}  // namespace evlog::kafka
