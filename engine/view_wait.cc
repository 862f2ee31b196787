// Store::ViewWait: the view runs in this process or another one, so the
// wait follows the progress the view stores rather than the View object.

#include <thread>

#include "evlog/store.h"

namespace evlog {

namespace {
// Between two looks at the stored progress.
constexpr std::chrono::milliseconds kLook{20};
}  // namespace

Result<Store::ViewProgress> Store::ViewWait(std::string_view view, Position position,
                                            std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (Status s = CatchUp(); !s.ok()) return s;
    Result<ViewProgress> p = GetViewProgress(view);
    if (!p.ok() || p->position >= position) return p;
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::TimedOut("view '" + std::string(view) + "' is at position " +
                              std::to_string(p->position.value()) + ", waited for " +
                              std::to_string(position.value()));
    }
    std::this_thread::sleep_for(kLook);
  }
}

}  // namespace evlog
