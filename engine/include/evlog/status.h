// Status and Result: how every evlog operation reports success or failure.
//
// evlog throws no exceptions across its API. An operation returns a Status
// (or a Result<T>, which holds either a T or a non-OK Status). Data an error
// carries for the caller to act on, such as the actual version of a stream on
// a conflict, is a typed field, never text to parse.
//
// Which code means what, and whether a retry helps:
//   NotFound              the stream, event or key does not exist. Retry: no.
//   InvalidArgument       the request itself is wrong (name too long, reserved
//                         name, event too big, malformed id). Retry: never;
//                         fix the request. Nothing was written.
//   WrongExpectedVersion  optimistic concurrency: the stream is not at the
//                         version the append expected. actual_version() says
//                         where it is. Retry: reload the state and decide again.
//   ConditionFailed       an append condition matched a later event, or a rule would
//                         hide what a durable consumer has not processed. Retry: re-read, decide.
//   IdempotencyConflict   some, not all, of an append's event ids were already
//                         committed, or an id was reused for a different
//                         stream. Retry: no; it is a client bug.
//   Corruption            a stored record failed verification. Retry: no.
//   IOError               the file system failed. The store may refuse further
//                         writes until reopened. Nothing not durable was
//                         acknowledged.
//   Busy                  the store directory is in use by another writer.
//   NotSupported          e.g. a store written by a newer format version.
//   ReadOnly              a write was attempted on a store opened read-only.
//   Aborted               the store is closing; the request was not applied.
//   TimedOut              a wait ended before what it waited for happened.
//   StreamDeleted         an append to a hard-deleted stream. Retry: never.
//   Trimmed               a feed asked to start before events that were
//                         trimmed or deleted: it would miss them. Retry: from
//                         FeedStart::Oldest() or a later position.
//   UnknownRequest        evlogd does not know the request: it is older than
//                         the client. Nothing was done. Retry: after
//                         upgrading evlogd. Only a Client returns it.
//   Unauthenticated       evlogd refused the token (wrong or missing).
//                         Nothing was done. Retry: with the right token.
//                         Only a Client returns it.

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace evlog {

class [[nodiscard]] Status {
 public:
  enum class Code : uint8_t {
    kOk = 0,
    kNotFound,
    kInvalidArgument,
    kWrongExpectedVersion,
    kConditionFailed,
    kIdempotencyConflict,
    kCorruption,
    kIOError,
    kBusy,
    kNotSupported,
    kReadOnly,
    kAborted,
    kTimedOut,
    kStreamDeleted,
    kTrimmed,
    // The other side does not know the request: an evlogd older than its
    // client. Nothing was done. Only a Client returns it; the engine never.
    kUnknownRequest,
    // evlogd refused the session's token. Only a Client returns it.
    kUnauthenticated,
  };

  // An OK status.
  Status() = default;

  static Status OK() { return Status(); }
  static Status NotFound(std::string_view msg) { return Status(Code::kNotFound, msg); }
  static Status InvalidArgument(std::string_view msg) {
    return Status(Code::kInvalidArgument, msg);
  }
  // `stream` is the stream whose version did not match; `actual_version` is
  // its current version (0 when the stream has no events).
  static Status WrongExpectedVersion(std::string_view msg, std::string_view stream,
                                     uint64_t actual_version) {
    Status s(Code::kWrongExpectedVersion, msg);
    s.stream_ = std::string(stream);
    s.actual_version_ = actual_version;
    return s;
  }
  static Status ConditionFailed(std::string_view msg) {
    return Status(Code::kConditionFailed, msg);
  }
  // `position` is the first event after the condition's position that
  // matched it.
  static Status ConditionFailed(std::string_view msg, uint64_t position) {
    Status s(Code::kConditionFailed, msg);
    s.conflicting_position_ = position;
    return s;
  }
  static Status IdempotencyConflict(std::string_view msg) {
    return Status(Code::kIdempotencyConflict, msg);
  }
  static Status Corruption(std::string_view msg) { return Status(Code::kCorruption, msg); }
  static Status IOError(std::string_view msg) { return Status(Code::kIOError, msg); }
  static Status Busy(std::string_view msg) { return Status(Code::kBusy, msg); }
  static Status NotSupported(std::string_view msg) { return Status(Code::kNotSupported, msg); }
  static Status ReadOnly(std::string_view msg) { return Status(Code::kReadOnly, msg); }
  static Status Aborted(std::string_view msg) { return Status(Code::kAborted, msg); }
  static Status TimedOut(std::string_view msg) { return Status(Code::kTimedOut, msg); }
  static Status StreamDeleted(std::string_view msg) { return Status(Code::kStreamDeleted, msg); }
  static Status Trimmed(std::string_view msg) { return Status(Code::kTrimmed, msg); }
  static Status UnknownRequest(std::string_view msg) {
    return Status(Code::kUnknownRequest, msg);
  }
  static Status Unauthenticated(std::string_view msg) {
    return Status(Code::kUnauthenticated, msg);
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  bool IsWrongExpectedVersion() const { return code_ == Code::kWrongExpectedVersion; }
  bool IsConditionFailed() const { return code_ == Code::kConditionFailed; }
  bool IsIdempotencyConflict() const { return code_ == Code::kIdempotencyConflict; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  bool IsIOError() const { return code_ == Code::kIOError; }
  bool IsBusy() const { return code_ == Code::kBusy; }
  bool IsNotSupported() const { return code_ == Code::kNotSupported; }
  bool IsReadOnly() const { return code_ == Code::kReadOnly; }
  bool IsAborted() const { return code_ == Code::kAborted; }
  bool IsTimedOut() const { return code_ == Code::kTimedOut; }
  bool IsStreamDeleted() const { return code_ == Code::kStreamDeleted; }
  bool IsTrimmed() const { return code_ == Code::kTrimmed; }
  bool IsUnknownRequest() const { return code_ == Code::kUnknownRequest; }
  bool IsUnauthenticated() const { return code_ == Code::kUnauthenticated; }

  // The human-readable detail, without the code name.
  const std::string& message() const { return message_; }

  // For WrongExpectedVersion: the stream that conflicted and its actual
  // version. Empty / nullopt for every other code.
  const std::string& stream() const { return stream_; }
  std::optional<uint64_t> actual_version() const { return actual_version_; }
  // For ConditionFailed from the engine: the first event that matched the
  // condition (or a refused rule would hide). nullopt for every other code (and for a
  // ConditionFailed that came through a remote Client).
  std::optional<uint64_t> conflicting_position() const { return conflicting_position_; }

  // A stable snake_case name of the code ("wrong_expected_version"), suitable
  // for machine-readable output.
  std::string_view CodeName() const;

  // "<code name>: <message>", or "ok".
  std::string ToString() const;

 private:
  Status(Code code, std::string_view msg) : code_(code), message_(msg) {}

  Code code_ = Code::kOk;
  std::string message_;
  std::string stream_;
  std::optional<uint64_t> actual_version_;
  std::optional<uint64_t> conflicting_position_;
};

// Either a value of type T or a non-OK Status.
//
//   Result<std::unique_ptr<Store>> r = Store::Open(options, path);
//   if (!r.ok()) return r.status();
//   std::unique_ptr<Store> store = std::move(r).value();
template <class T>
class [[nodiscard]] Result {
 public:
  // REQUIRES: !status.ok()
  Result(Status status) : rep_(std::move(status)) {}  // NOLINT: implicit by design
  Result(T value) : rep_(std::move(value)) {}         // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(rep_); }

  // OK when a value is held.
  Status status() const { return ok() ? Status::OK() : std::get<Status>(rep_); }

  // REQUIRES: ok()
  T& value() & { return std::get<T>(rep_); }
  const T& value() const& { return std::get<T>(rep_); }
  T&& value() && { return std::get<T>(std::move(rep_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<Status, T> rep_;
};

}  // namespace evlog
