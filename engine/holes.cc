#include "holes.h"

#include <algorithm>

#include "postings.h"
#include "stream_metadata.h"

namespace evlog {

namespace {

std::string Range(uint64_t first, uint64_t last) {
  if (first == last) return "log position " + std::to_string(first) + " is";
  return "log positions " + std::to_string(first) + ".." + std::to_string(last) + " are";
}

}  // namespace

Status HoleCheck::LoadCategories() {
  if (categories_) return Status::OK();
  std::vector<std::string> out;
  std::unique_ptr<rocksdb::Iterator> it(db_.db->NewIterator(read_options_, db_.cf(Db::kStreams)));
  const rocksdb::Slice prefix(kMetaPrefix.data(), kMetaPrefix.size());
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string_view stream = it->key().ToStringView().substr(kMetaPrefix.size());
    std::string category(CategoryOf(stream));
    if (std::find(out.begin(), out.end(), category) == out.end()) out.push_back(category);
  }
  if (!it->status().ok()) return FromRocks(it->status());
  categories_ = std::move(out);
  return Status::OK();
}

Status HoleCheck::Explain(uint64_t first, uint64_t last) {
  const uint64_t horizon = db_.trim_horizon.load();
  if (last <= horizon) return Status::OK();
  first = std::max(first, horizon + 1);
  // The positions of first..last that were events of a category with a
  // stream that has metadata: what a rule may have reclaimed. Bounded by the
  // index entries that exist, not by the size of the gap.
  std::vector<uint64_t> reclaimable;
  if (db_.has_metadata.load()) {
    if (Status s = LoadCategories(); !s.ok()) return s;
    for (const std::string& category : *categories_) {
      // Its posting chunks from the one that holds `first` (keyed by a
      // position >= first) until a position passes `last`.
      PostingList postings(db_, Db::kByCategory, category, read_options_);
      for (std::optional<uint64_t> p = postings.SeekForward(first); p && *p <= last;
           p = postings.SeekForward(*p + 1)) {
        reclaimable.push_back(*p);
      }
      if (!postings.status().ok()) return postings.status();
    }
    std::sort(reclaimable.begin(), reclaimable.end());
  }
  uint64_t next = first;  // the first position not yet explained
  for (uint64_t p : reclaimable) {
    if (p > next) break;
    next = std::max(next, p + 1);
  }
  if (next > last) return Status::OK();
  uint64_t run_last = last;
  auto after = std::upper_bound(reclaimable.begin(), reclaimable.end(), next);
  if (after != reclaimable.end() && *after <= last) run_last = *after - 1;
  return Status::Corruption(Range(next, run_last) +
                            " missing from the log, and no trim, delete or retention rule "
                            "explains it (a lost table file or write-ahead log?)");
}

}  // namespace evlog
