// V1, a view that counts events per stream following W1, on the engine.

#pragma once

#include <cstdint>
#include <functional>

#include "evlog/store.h"
#include "workload.h"

namespace evlog::bench {

// Opens view "counts" (a counter per stream) on the empty `store`, runs
// `write` (W1: `appends` appends) and waits until the view has applied
// every event. events/s = appends / (W1's start to the view caught up);
// lag_ms = W1's end to the view caught up. Then a second view applies the
// finished log from the start: replay_events_per_s. Both views' counts are
// checked. Throws std::runtime_error when the view fails or a count is wrong.
Measurement ViewApply(Store& store, int64_t appends, const std::function<void()>& write);

}  // namespace evlog::bench
