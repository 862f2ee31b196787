// view: the thread behind evlog/view.h, and view queries by name.

#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "db.h"
#include "evlog/options.h"
#include "evlog/store.h"
#include "evlog/view.h"

namespace evlog {

// A view's stored state: which generation holds its rows, and the position
// they reflect.
struct ViewState {
  bool exists = false;
  uint64_t generation = 0;
  Position position;
};

Result<ViewState> LoadViewState(const Db& db, std::string_view name);
// The state of view `name`; NotFound if no view of that name has applied
// anything.
Result<ViewState> LoadExistingView(const Db& db, std::string_view name);

Result<std::optional<std::string>> ViewGet(const Db& db, std::string_view name, uint64_t generation,
                                           std::string_view key);

Result<std::vector<std::pair<std::string, std::string>>> ViewScan(const Db& db,
                                                                  std::string_view name,
                                                                  uint64_t generation,
                                                                  std::string_view prefix,
                                                                  size_t max_count,
                                                                  std::string_view start_after = {});

// Where a rebuild request for `name` is dropped: a file under the store
// directory, so another process can ask without the store's write lock.
std::string RebuildRequestPath(const Db& db, std::string_view name);

// Progress of the rebuild in flight (or the last one), stored by the view.
struct RebuildState {
  Position position;
  Position target;
};
Result<RebuildState> LoadRebuildState(const Db& db, std::string_view name);

// Store::RequestViewRebuild: drops a request file for view `name`.
// NotFound if no such view; IOError if the file cannot be written.
Status RequestRebuild(const Db& db, std::string_view name);
// Store::CancelViewRebuild: removes the request file, if any.
void CancelRebuild(const Db& db, std::string_view name);

// Store::GetViewProgress. NotFound if no such view.
Result<Store::ViewProgress> LoadViewProgress(const Db& db, std::string_view name);

// Store::ListViews: every view with a stored state, by name.
Result<std::vector<Store::ViewInfo>> ListViews(const Db& db);

// Starts a view. `db` and `store_options` must outlive it.
Result<std::unique_ptr<View>> OpenView(Db* db, const Options& store_options, ViewOptions options,
                                       ViewHandler handler);

}  // namespace evlog
