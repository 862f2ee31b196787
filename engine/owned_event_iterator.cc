// An EventIterator over events already owned: no store, no failure.

#include "evlog/owned_event_iterator.h"

namespace evlog {

namespace {

class OwnedEventIterator final : public EventIterator {
 public:
  explicit OwnedEventIterator(const std::vector<OwnedEvent>& events) : events_(events) { Settle(); }
  bool Valid() const override { return index_ < events_.size(); }
  void Next() override {
    ++index_;
    Settle();
  }
  const RecordedEvent& event() const override { return current_; }
  Status status() const override { return Status::OK(); }

 private:
  // current_ views the element at index_, so event() can return a reference.
  void Settle() {
    if (Valid()) current_ = events_[index_].view();
  }
  const std::vector<OwnedEvent>& events_;
  size_t index_ = 0;
  RecordedEvent current_;
};

}  // namespace

std::unique_ptr<EventIterator> NewOwnedEventIterator(const std::vector<OwnedEvent>& events) {
  return std::make_unique<OwnedEventIterator>(events);
}

}  // namespace evlog
