// TempDir: a fresh directory for one test, removed with everything in it when
// the object goes out of scope; evlog_harness's, the one the benches,
// torture and loadtest use as well.

#pragma once

#include "harness/temp_dir.h"

namespace evlog::testutil {

using harness::TempDir;

}  // namespace evlog::testutil
